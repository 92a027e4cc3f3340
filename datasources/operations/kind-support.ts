// What every kind of operation is made of (kinds.ts, resize-kinds.ts, legacy-kinds.ts): the clients a kind calls,
// the progress its check reports, and the small helpers they share.
import { MosaicError } from '../../core/errors.ts';
import type { NovaActions, ServerState } from '../nova/actions.ts';
import type { CinderActions } from '../cinder/actions.ts';
import type { RegionControllerActions } from '../legacy/actions.ts';
import type { NeutronActions } from '../neutron/actions.ts';
import type { OperationError, OperationRecord, OperationTarget } from './types.ts';

/** The metadata key a created server or volume carries: how a lost create is found again. */
export const IDEMPOTENCY_METADATA_KEY = 'mosaic-idempotency-key';

export interface CloudApi {
  nova: NovaActions;
  cinder: CinderActions;
  legacy: RegionControllerActions;
  neutron: NeutronActions;
}

export type Progress =
  | { state: 'running'; target?: OperationTarget }
  | { state: 'succeeded'; target?: OperationTarget }
  | { state: 'failed'; error: OperationError; target?: OperationTarget }
  | { state: 'unknown' };

export interface Submitted {
  target: OperationTarget | null;
  /** The write's answer is already the final state (the region controller's synchronous writes). */
  done?: boolean;
}

export interface KindSpec {
  /** The upstream service whose timeout bounds the settle window. */
  service: 'nova' | 'cinder' | 'legacy' | 'neutron';
  submit(api: CloudApi, op: OperationRecord): Promise<Submitted>;
  check(api: CloudApi, op: OperationRecord): Promise<Progress>;
}

export const p = (op: OperationRecord) => op.params as Record<string, any>;
export const instance = (key: string): OperationTarget => ({ type: 'Instance', key });
export const cinderDisk = (id: string): OperationTarget => ({ type: 'Disk', key: `cinder:${id}` });
export const floatingIp = (id: string): OperationTarget => ({ type: 'FloatingIp', key: id });

export function novaFailure(s: ServerState, what: string): Progress & { state: 'failed' } {
  return {
    state: 'failed',
    error: {
      code: 'MOSAIC_ERR_UPSTREAM_STATUS',
      message: `Nova could not ${what}: the instance is in ERROR${s.fault ? ` (${s.fault.message.trim()})` : ''}`,
      upstreamMessage: s.fault?.message ?? null,
    },
  };
}

export const gone = (what: string): Progress => ({
  state: 'failed',
  error: { code: 'MOSAIC_ERR_NOT_FOUND', message: `${what} no longer exists`, upstreamMessage: null },
});

/** An error as an operation records it: its code, message and the upstream's own words. */
export function recordedError(err: unknown): OperationError {
  if (err instanceof MosaicError) {
    const upstream = err.message.replace(/^(nova|cinder|legacy|glance|neutron|keystone)( answered \d+)?: /, '');
    return { code: err.errorName, message: err.message, upstreamMessage: err.upstream ? upstream : null };
  }
  return { code: 'MOSAIC_ERR_INTERNAL', message: 'Internal error.', upstreamMessage: null };
}
