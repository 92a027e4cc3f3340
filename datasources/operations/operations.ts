// Operations: every mutation that changes the cloud runs through here (DESIGN.md "Writes, events and freshness").
// Long-lived, one per gateway, built in server/services.ts when MongoDB is configured.
//
// run() is exactly-once per (project, idempotency key):
//   1. the key already has an operation → that operation (a different input hash → MOSAIC_ERR_IDEMPOTENCY_MISMATCH;
//      a write the upstream refused → the same coded error again); the upstream is not called;
//   2. the record is inserted PENDING *before* the upstream is called; the unique index on (projectId,
//      idempotencyKey) lets one insert win — the losers (concurrent requests, replicas) read the winner back;
//   3. the write is sent once, never retried (http/retry-policy.ts), on a client without the request's abort
//      signal (a client hanging up must not cut a create in half). Its answer decides:
//        accepted (2xx)             → RUNNING, the tracker polls the resource to a final state;
//        refused (4xx, ret ≠ 0)     → FAILED, and the mutation answers the coded error (with `operationId`);
//        lost (timeout, reset, 5xx from a proxy, a garbled 2xx) → RUNNING in phase `verify`: the tracker finds out
//                                     from the upstream whether it happened (kinds.ts), never by sending it again.
// Every attempt — accepted, replayed or refused — is appended to the audit collection.
import { MosaicError, type ErrorName } from '../../core/errors.ts';
import type { Caller } from '../../core/caller.ts';
import type { MosaicConfig } from '../../core/config.ts';
import { createRequire } from 'node:module';
import type { Db } from 'mongodb';
import { UpstreamClient, type HttpStack } from '../http/client.ts';
import { BatchScheduler } from '../planner/scheduler.ts';
import type { KeystoneAuth } from '../keystone/auth.ts';
import { NovaActions } from '../nova/actions.ts';
import { CinderActions } from '../cinder/actions.ts';
import { RegionControllerActions } from '../legacy/actions.ts';
import { NeutronActions } from '../neutron/actions.ts';
import { CredentialPool } from './credentials.ts';
import { dropSecrets, inputHash } from './input.ts';
import { kindSpec, recordedError, type CloudApi } from './kinds.ts';
import { OperationStore } from './store.ts';
import { OperationTracker, backoffMs } from './tracker.ts';
import type { OperationKind, OperationRecord } from './types.ts';

/** A refused write: the coded error, carrying the id of the (FAILED) operation that records it. */
export class OperationRefused extends MosaicError {
  constructor(
    errorName: ErrorName,
    message: string,
    readonly operationId: string,
    upstream?: MosaicError['upstream'],
  ) {
    super(errorName, message, upstream);
  }
  override get extensions(): Record<string, unknown> {
    return { ...super.extensions, operationId: this.operationId };
  }
}

export interface RunRequest {
  caller: Caller;
  requestId: string;
  /** The mutation's field name, for the audit log. */
  mutation: string;
  kind: OperationKind;
  /** The mutation's input object as the client sent it, idempotencyKey included. */
  input: Record<string, unknown>;
  /** Resolves and checks the input into what the upstream call needs (runs only for a new key). */
  resolve(): Promise<Record<string, unknown>>;
  /** Turns an upstream refusal into the error the client gets (e.g. naming a host's instances). */
  explain?(err: MosaicError, params: Record<string, unknown>): Promise<MosaicError>;
}

const MAX_KEY_LENGTH = 255;

/** A failure that leaves unknown whether the upstream did the write. */
function ambiguous(err: unknown): boolean {
  if (!(err instanceof MosaicError)) return false;
  if (err.errorName === 'MOSAIC_ERR_UPSTREAM_TIMEOUT' || err.errorName === 'MOSAIC_ERR_UPSTREAM_GARBLED') return true;
  if (err.errorName !== 'MOSAIC_ERR_UPSTREAM_UNAVAILABLE') return false;
  // A refused connection or an unknown host never reached the service; 503 is the service itself refusing.
  const code = (err.cause as { code?: string } | undefined)?.code;
  return code !== 'ECONNREFUSED' && code !== 'ENOTFOUND' && err.upstream?.status !== 503;
}

/** Upstream answers mapped to the codes a client acts on: a quota refusal, 409 is a conflict, 400 bad input. */
function refusal(err: unknown): MosaicError {
  if (!(err instanceof MosaicError)) return new MosaicError('MOSAIC_ERR_INTERNAL', undefined, undefined, { cause: err });
  const status = err.upstream?.status;
  // Neutron's 409 OverQuota ("Quota exceeded for resources: ['floatingip']"), Nova's 403/413 overLimit ("Quota exceeded for instances…").
  if ((status === 409 || status === 403 || status === 413) && /quota exceeded|over ?quota|overlimit/i.test(err.message))
    return new MosaicError('MOSAIC_ERR_OVER_QUOTA', err.message, err.upstream);
  if (err.errorName === 'MOSAIC_ERR_UPSTREAM_STATUS' && status === 409) return new MosaicError('MOSAIC_ERR_CONFLICT', err.message, err.upstream);
  if (err.errorName === 'MOSAIC_ERR_UPSTREAM_STATUS' && status === 400) return new MosaicError('MOSAIC_ERR_BAD_ARGUMENT', err.message, err.upstream);
  return err;
}

export class Operations {
  readonly store: OperationStore;
  readonly tracker: OperationTracker;
  readonly credentials = new CredentialPool();
  private serviceLogin: { at: number; pending: Promise<void> | null } = { at: 0, pending: null };

  /** With its own small MongoDB pool (the driver connects on first use); null when no MongoDB is configured. */
  static connect(stack: HttpStack, keystone: KeystoneAuth): Operations | null {
    const { uri, timeoutMs, database } = stack.config.mongodb;
    if (!uri) return null;
    // The MongoDB driver is loaded here, when a uri is configured, never at import (~24 MB of resting RSS).
    const { MongoClient } = createRequire(import.meta.url)('mongodb') as typeof import('mongodb');
    const client = new MongoClient(uri, { serverSelectionTimeoutMS: timeoutMs, maxPoolSize: 5 });
    return new Operations(stack, keystone, client.db(database), () => client.close());
  }

  constructor(
    private readonly stack: HttpStack,
    private readonly keystone: KeystoneAuth,
    db: Db,
    private readonly disconnect: () => Promise<void> = async () => {},
  ) {
    this.store = new OperationStore(db, stack.config.mongodb.timeoutMs);
    this.tracker = new OperationTracker({
      store: this.store,
      api: (op) => this.apiFor(op),
      settleMs: (op) => Math.max(2_000, 3 * this.timeoutOf(op)),
      orphanMs: (op) => this.timeoutOf(op) + 2_000,
    });
  }

  private get config(): MosaicConfig {
    return this.stack.config;
  }

  start(): void {
    void this.store.ensureIndexes().catch(() => {});
    this.tracker.start();
  }

  /** Stops the tracker (unfinished operations stay in MongoDB for the next start) and closes the pool. */
  async close(): Promise<void> {
    await this.tracker.stop();
    await this.disconnect();
  }

  private timeoutOf(op: OperationRecord): number {
    const service = op.kind === 'CREATE_DISK' && op.params.backend === 'LEGACY' ? 'legacy' : kindSpec(op.kind).service;
    return this.config.upstreams[service].timeoutMs;
  }

  /** Clients for one caller, on a fresh per-use UpstreamClient without an abort signal. */
  private api(caller: Caller | null): CloudApi {
    const upstream = new UpstreamClient(this.stack, new BatchScheduler(0));
    const who = caller ?? ({ token: '', catalog: [], isAdmin: false, projectId: '' } as unknown as Caller);
    return {
      nova: new NovaActions(upstream, who),
      cinder: new CinderActions(upstream, who),
      legacy: new RegionControllerActions(upstream, this.config.legacy.url, this.config.legacy.apiKey),
      neutron: new NeutronActions(upstream, who),
    };
  }

  private async apiFor(op: OperationRecord): Promise<CloudApi | null> {
    const legacyOnly =
      op.kind === 'DELETE_HOST' || op.kind === 'SET_HOST_MAINTENANCE' || (op.kind === 'CREATE_DISK' && op.params.backend === 'LEGACY');
    if (legacyOnly) return this.api(null);
    let caller = this.credentials.forProject(op.projectId);
    if (!caller) {
      await this.loginService();
      caller = this.credentials.forProject(op.projectId);
    }
    return caller ? this.api(caller) : null;
  }

  /** The service account's token, when it is an administrator's (at most one login per 30 s). */
  private async loginService(): Promise<void> {
    const { serviceUser, servicePassword, serviceProject } = this.config.keystone;
    if (!serviceUser || Date.now() - this.serviceLogin.at < 30_000) return this.serviceLogin.pending ?? undefined;
    this.serviceLogin.at = Date.now();
    this.serviceLogin.pending = this.keystone
      .login(new UpstreamClient(this.stack, new BatchScheduler(0)), serviceUser, servicePassword, serviceProject)
      .then((caller) => (caller.isAdmin ? this.credentials.remember(caller) : undefined))
      .catch(() => {})
      .finally(() => (this.serviceLogin.pending = null));
    return this.serviceLogin.pending;
  }

  /** Runs one mutation as an operation (see the header). */
  async run(req: RunRequest): Promise<OperationRecord> {
    const started = performance.now();
    const { caller } = req;
    const key = req.input.idempotencyKey;
    const clean = dropSecrets({ ...req.input, idempotencyKey: undefined }) as Record<string, unknown>;
    const audit = (outcome: 'accepted' | 'replayed' | 'refused', op: OperationRecord | null, err?: unknown) =>
      this.store
        .appendAudit({
          at: new Date(),
          requestId: req.requestId,
          userId: caller.userId,
          userName: caller.userName,
          projectId: caller.projectId,
          mutation: req.mutation,
          input: clean,
          idempotencyKey: typeof key === 'string' ? key : null,
          outcome,
          operationId: op?.id ?? (err instanceof OperationRefused ? err.operationId : null),
          errorCode: err instanceof MosaicError ? err.errorName : err ? 'MOSAIC_ERR_INTERNAL' : null,
          errorMessage: err instanceof MosaicError ? err.message : null,
          durationMs: Math.round(performance.now() - started),
        })
        .catch(() => {});
    this.credentials.remember(caller);
    try {
      if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH || /[^\x21-\x7e]/.test(key)) {
        throw new MosaicError('MOSAIC_ERR_BAD_ARGUMENT', `idempotencyKey must be 1 to ${MAX_KEY_LENGTH} printable ASCII characters without spaces`);
      }
      const hash = inputHash(req.kind, clean);
      const prior = await this.store.byKey(caller.projectId, key);
      if (prior) {
        const op = this.replay(prior, req.kind, hash);
        await audit('replayed', op);
        return op;
      }
      const params = await req.resolve();
      const now = new Date();
      const inserted = await this.store.insert({
        projectId: caller.projectId,
        idempotencyKey: key,
        kind: req.kind,
        status: 'PENDING',
        phase: 'submit',
        input: clean,
        inputHash: hash,
        params,
        target: null,
        requestedBy: { userId: caller.userId, userName: caller.userName, projectId: caller.projectId },
        requestId: req.requestId,
        startedAt: now,
        updatedAt: now,
        finishedAt: null,
        ambiguousAt: null,
        refused: false,
        error: null,
        checks: 0,
      });
      if (!inserted) {
        // Another request with this key won the insert: its operation is this one's answer.
        const winner = await this.store.byKey(caller.projectId, key);
        if (!winner) throw new MosaicError('MOSAIC_ERR_INTERNAL', 'an operation vanished after a duplicate key');
        const op = this.replay(winner, req.kind, hash);
        await audit('replayed', op);
        return op;
      }
      const op = await this.submit(inserted, caller, req);
      await audit('accepted', op);
      return op;
    } catch (err) {
      await audit('refused', null, err);
      throw err;
    }
  }

  private replay(op: OperationRecord, kind: OperationKind, hash: string): OperationRecord {
    if (op.kind !== kind || op.inputHash !== hash) {
      throw new MosaicError(
        'MOSAIC_ERR_IDEMPOTENCY_MISMATCH',
        `idempotencyKey "${op.idempotencyKey}" was already used for another ${op.kind === kind ? 'input' : 'mutation'} (operation started ${op.startedAt.toISOString()})`,
      );
    }
    if (op.refused && op.error) throw new OperationRefused(op.error.code as ErrorName, op.error.message, op.id);
    return op;
  }

  /** Sends the write once and records what its answer means. */
  private async submit(op: OperationRecord, caller: Caller, req: RunRequest): Promise<OperationRecord> {
    try {
      const { target, done } = await kindSpec(op.kind).submit(this.api(caller), op);
      const now = new Date();
      const updated = done
        ? await this.store.update(op.id, { status: 'SUCCEEDED', phase: 'track', target, finishedAt: now })
        : await this.store.update(op.id, { status: 'RUNNING', phase: 'track', target });
      if (!done) this.tracker.watch(op.id, backoffMs(0));
      return updated ?? op;
    } catch (err) {
      if (ambiguous(err)) {
        const updated = await this.store.update(op.id, { status: 'RUNNING', phase: 'verify', ambiguousAt: new Date() });
        this.tracker.watch(op.id, backoffMs(0));
        return updated ?? op;
      }
      let coded = refusal(err);
      if (req.explain) coded = await req.explain(coded, op.params).catch(() => coded);
      const error = recordedError(coded);
      await this.store.update(op.id, { status: 'FAILED', phase: 'track', refused: true, error, finishedAt: new Date() });
      throw new OperationRefused(coded.errorName, coded.message, op.id, coded.upstream);
    }
  }

  /** An operation the caller may see: its own project's, or any for an administrator; null otherwise. */
  async visible(caller: Caller, id: string): Promise<OperationRecord | null> {
    this.credentials.remember(caller);
    const op = await this.store.get(id);
    if (!op || (!caller.isAdmin && op.projectId !== caller.projectId)) return null;
    // A reader of an unfinished operation lends its token: after a restart that is what lets the tracker go on.
    if (op.status === 'PENDING' || op.status === 'RUNNING') this.tracker.watchIfIdle(op.id);
    return op;
  }
}
