// The region controller's operations (DESIGN.md "The legacy region controller"): its writes answer synchronously
// ({ret, msg, data}), so an accepted one is final at once. When that answer is lost (a timeout, a reset, nginx's
// 502/504 after the application committed) the controller is asked about the write itself: each carries the
// operation's id as X-Request-Id, the controller carries a write out once per id and answers
// `GET /requests/{id}` with whether it did and what it answered (subgraphs/legacy/request-log.ts). The operation
// ends SUCCEEDED or FAILED from that answer; an id the controller never saw is "not yet" until the settle window.
import type { Host } from '../../core/domain.ts';
import { p, recordedError, type CloudApi, type KindSpec, type Progress } from './kind-support.ts';
import type { OperationRecord, OperationTarget } from './types.ts';

const host = (id: unknown): OperationTarget => ({ type: 'Host', key: String(id) });

/**
 * Where a legacy write stands after its answer was lost, from the controller's request log: `done` turns the
 * write's `data` into the final progress; `fallback` judges from the resource when the controller has no log.
 */
export async function legacyVerdict(
  api: CloudApi,
  op: OperationRecord,
  done: (data: any) => Progress,
  fallback: () => Promise<Progress>,
): Promise<Progress> {
  const told = await api.legacy.requestOutcome(op.id);
  if (told === 'unsupported') return fallback();
  if (told === null) return { state: 'unknown' };
  if ('error' in told) return { state: 'failed', error: recordedError(told.error) };
  return done(told.data);
}

export const legacyKinds: Record<'DELETE_HOST' | 'SET_HOST_MAINTENANCE', KindSpec> = {
  DELETE_HOST: {
    service: 'legacy',
    async submit(api, op) {
      await api.legacy.deleteHost(p(op).zoneId, p(op).hostId, op.id);
      return { target: host(p(op).hostId), done: true };
    },
    check: (api, op) =>
      legacyVerdict(
        api,
        op,
        () => ({ state: 'succeeded' }),
        async () => ((await api.legacy.host(p(op).zoneId, p(op).hostId, op.id)) ? { state: 'unknown' } : { state: 'succeeded' }),
      ),
  },
  SET_HOST_MAINTENANCE: {
    service: 'legacy',
    async submit(api, op) {
      await api.legacy.setMaintenance(p(op).zoneId, p(op).hostId, p(op).enabled, op.id);
      return { target: host(p(op).hostId), done: true };
    },
    check: (api, op) =>
      legacyVerdict(
        api,
        op,
        () => ({ state: 'succeeded' }),
        async () => {
          const now: Host | null = await api.legacy.host(p(op).zoneId, p(op).hostId, op.id);
          if (!now)
            return {
              state: 'failed',
              error: { code: 'MOSAIC_ERR_NOT_FOUND', message: `Host ${p(op).hostId} no longer exists`, upstreamMessage: null },
            };
          return now.status === (p(op).enabled ? 'MAINTENANCE' : 'ONLINE') ? { state: 'succeeded' } : { state: 'unknown' };
        },
      ),
  },
};
