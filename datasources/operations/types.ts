// What an operation is (DESIGN.md "Writes, events and freshness"): one change to the cloud that a mutation asked
// for, recorded in MongoDB before the upstream is called and driven to a final state by the tracker. The graph's
// `Operation` type (schema/operations.graphql) is mapped onto OperationRecord.

export type OperationKind =
  | 'CREATE_INSTANCE'
  | 'DELETE_INSTANCE'
  | 'START_INSTANCE'
  | 'STOP_INSTANCE'
  | 'REBOOT_INSTANCE'
  | 'RESIZE_INSTANCE'
  | 'CONFIRM_RESIZE_INSTANCE'
  | 'REVERT_RESIZE_INSTANCE'
  | 'CREATE_DISK'
  | 'ATTACH_DISK'
  | 'DETACH_DISK'
  | 'DELETE_DISK'
  | 'DELETE_HOST'
  | 'SET_HOST_MAINTENANCE'
  | 'ALLOCATE_FLOATING_IP'
  | 'ASSOCIATE_FLOATING_IP'
  | 'DISASSOCIATE_FLOATING_IP'
  | 'RELEASE_FLOATING_IP';

export type OperationStatus = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED';

/**
 * Where the operation is: `submit` until the upstream answered the write; `verify` when that answer was lost
 * (timeout, reset, a gateway that stopped mid-call) and Mosaic is finding out whether the write happened; `track`
 * once it was accepted and the resource is polled to its final state.
 */
export type OperationPhase = 'submit' | 'verify' | 'track';

/** The resource an operation changes, as a Node type and its global-id key. */
export interface OperationTarget {
  type: 'Instance' | 'Disk' | 'Host' | 'FloatingIp';
  /** Instance: the Nova UUID; Disk: `cinder:<uuid>` or `legacy:<id>`; Host: the legacy host id; FloatingIp: the Neutron UUID. */
  key: string;
}

export interface OperationError {
  /** A MOSAIC_ERR_* code from core/errors.ts. */
  code: string;
  message: string;
  /** The upstream's own words: Nova's `fault.message`, Cinder's status, the legacy `msg`. */
  upstreamMessage: string | null;
}

export interface OperationRecord {
  /** Hex ObjectId; the global id is `Operation:<id>`. */
  id: string;
  projectId: string;
  idempotencyKey: string;
  kind: OperationKind;
  status: OperationStatus;
  phase: OperationPhase;
  /** The mutation's input with secrets dropped (input.ts), as the caller sent it. */
  input: Record<string, unknown>;
  /** SHA-256 of kind + input: a reused key with another hash is refused. */
  inputHash: string;
  /** What Mosaic resolved from the input for the upstream call (ids, zone and host of a host…). */
  params: Record<string, unknown>;
  target: OperationTarget | null;
  requestedBy: { userId: string; userName: string; projectId: string };
  requestId: string;
  startedAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
  /** When the write's answer was lost; the verify phase ends by then + the settle window. */
  ambiguousAt: Date | null;
  /** True when the upstream refused the write at once: a replay of the key answers the same coded error. */
  refused: boolean;
  error: OperationError | null;
  checks: number;
}

export const FINAL: ReadonlySet<OperationStatus> = new Set(['SUCCEEDED', 'FAILED']);

export interface AuditEntry {
  id: string;
  at: Date;
  requestId: string;
  userId: string;
  userName: string;
  projectId: string;
  /** The mutation's field name (createInstance…). */
  mutation: string;
  input: Record<string, unknown>;
  idempotencyKey: string | null;
  /** accepted: a new operation; replayed: the key's first operation returned; refused: a coded error. */
  outcome: 'accepted' | 'replayed' | 'refused';
  operationId: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  durationMs: number;
}
