// Resizing an instance, as Nova does it (https://docs.openstack.org/api-ref/compute/#resize-server-resize-action):
// `resize {"flavorRef"}` answers 202 and the server goes to status RESIZE (task_state resize_prep →
// resize_migrating → resize_migrated → resize_finish), then VERIFY_RESIZE (vm_state resized, the new flavor shown,
// task null). There it waits: `confirmResize` (#confirm-resized-server-confirmresize-action) keeps the new flavor,
// `revertResize` (#revert-resized-server-revertresize-action) goes back to the old one; either way the server ends
// ACTIVE (SHUTOFF when it was stopped) with no task. A failed resize leaves ERROR with a `fault`.
// RESIZE_INSTANCE with `confirm` confirms on VERIFY_RESIZE itself and succeeds with the new flavor; without it, it
// succeeds at VERIFY_RESIZE and CONFIRM_RESIZE_INSTANCE / REVERT_RESIZE_INSTANCE finish the job.
import { MosaicError } from '../../core/errors.ts';
import type { ServerState } from '../nova/actions.ts';
import { gone, instance, novaFailure, p, recordedError, type CloudApi, type KindSpec, type Progress } from './kind-support.ts';
import type { OperationRecord } from './types.ts';

const SETTLED = new Set(['ACTIVE', 'SHUTOFF']);

/** The server shows the flavor the resize asked for (by id before microversion 2.47, by name from it). */
function hasFlavor(s: ServerState, op: OperationRecord): boolean {
  const { flavorId, flavorName } = p(op);
  return (s.flavorId !== null && s.flavorId === flavorId) || (s.flavorName !== null && s.flavorName === flavorName);
}

/**
 * When this gateway last sent confirmResize for an operation. Nova keeps showing VERIFY_RESIZE while the confirm
 * runs (the migration is 'confirming'), so without this every poll would confirm again (answered 400). In memory
 * only: a restarted gateway sends it once more, which Nova refuses harmlessly.
 */
const confirmSent = new Map<string, number>();
const CONFIRM_AGAIN_MS = 15_000;
const MAX_REMEMBERED = 1_000;

/**
 * Sends confirmResize. A refusal that means "not now" (400 "Instance has not been resized." while a confirm runs,
 * 409 while another task holds the instance) or a lost answer (no HTTP status) means "look again"; Nova refusing
 * for good (403 policy, 404 instance gone) ends the operation FAILED with that cause instead of re-sending it every
 * CONFIRM_AGAIN_MS until the settle window closes.
 * https://docs.openstack.org/api-ref/compute/#confirm-resized-server-confirmresize-action
 * Not written to the audit log: audit entries are per mutation request (operations.ts), and this POST belongs to
 * the RESIZE_INSTANCE operation already audited there.
 */
async function confirm(api: CloudApi, op: OperationRecord): Promise<Progress> {
  const sent = confirmSent.get(op.id);
  if (sent !== undefined && Date.now() - sent < CONFIRM_AGAIN_MS) return { state: 'running' };
  if (confirmSent.size >= MAX_REMEMBERED) confirmSent.delete(confirmSent.keys().next().value!);
  confirmSent.set(op.id, Date.now());
  try {
    await api.nova.action(p(op).instanceId, { confirmResize: null });
  } catch (err) {
    if (!(err instanceof MosaicError)) throw err;
    const status = err.upstream?.status;
    if (status === 403 || status === 404) {
      confirmSent.delete(op.id);
      return { state: 'failed', error: recordedError(err) };
    }
  }
  return { state: 'running' };
}

const action = (body: Record<string, unknown>) => async (api: CloudApi, op: OperationRecord) => {
  await api.nova.action(p(op).instanceId, body);
  return { target: instance(p(op).instanceId) };
};

async function stateOf(api: CloudApi, op: OperationRecord): Promise<ServerState | Progress> {
  const s = await api.nova.serverState(p(op).instanceId);
  return s ?? gone(`Instance ${p(op).instanceId}`);
}
const isProgress = (x: ServerState | Progress): x is Progress => 'state' in x;

export const resizeKinds: Record<'RESIZE_INSTANCE' | 'CONFIRM_RESIZE_INSTANCE' | 'REVERT_RESIZE_INSTANCE', KindSpec> = {
  RESIZE_INSTANCE: {
    service: 'nova',
    async submit(api, op) {
      return action({ resize: { flavorRef: p(op).flavorId } })(api, op);
    },
    async check(api, op) {
      const s = await stateOf(api, op);
      if (isProgress(s)) return s;
      if (s.status === 'ERROR') return novaFailure(s, 'resize the instance');
      if (s.taskState) return { state: 'running' };
      if (s.status === 'VERIFY_RESIZE') {
        // Only this operation's resize: after a lost answer the server may sit in VERIFY_RESIZE from an earlier,
        // unrelated resize (another flavor); confirming or succeeding on that would be wrong. `unknown` lets the
        // tracker look again until the settle window closes.
        if (!hasFlavor(s, op)) return { state: 'unknown' };
        return p(op).confirm ? confirm(api, op) : { state: 'succeeded' };
      }
      if (SETTLED.has(s.status) && hasFlavor(s, op)) {
        confirmSent.delete(op.id);
        return { state: 'succeeded' };
      }
      if (SETTLED.has(s.status) && !op.ambiguousAt) {
        // Accepted (Nova set resize_prep before answering), yet back where it began: Nova gave the resize up.
        return {
          state: 'failed',
          error: {
            code: 'MOSAIC_ERR_UPSTREAM_STATUS',
            message: `Nova did not resize instance ${s.id}: it is ${s.status} with its old flavor`,
            upstreamMessage: s.fault?.message ?? null,
          },
        };
      }
      return { state: 'unknown' };
    },
  },
  CONFIRM_RESIZE_INSTANCE: {
    service: 'nova',
    submit: action({ confirmResize: null }),
    async check(api, op) {
      const s = await stateOf(api, op);
      if (isProgress(s)) return s;
      if (s.status === 'ERROR') return novaFailure(s, 'confirm the resize');
      if (s.taskState || s.status === 'VERIFY_RESIZE')
        return op.ambiguousAt && s.status === 'VERIFY_RESIZE' ? { state: 'unknown' } : { state: 'running' };
      return SETTLED.has(s.status) ? { state: 'succeeded' } : { state: 'unknown' };
    },
  },
  REVERT_RESIZE_INSTANCE: {
    service: 'nova',
    submit: action({ revertResize: null }),
    async check(api, op) {
      const s = await stateOf(api, op);
      if (isProgress(s)) return s;
      if (s.status === 'ERROR') return novaFailure(s, 'revert the resize');
      if (s.taskState) return { state: 'running' };
      if (s.status === 'VERIFY_RESIZE') return { state: 'unknown' };
      return SETTLED.has(s.status) ? { state: 'succeeded' } : { state: 'unknown' };
    },
  },
};
