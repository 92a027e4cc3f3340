// The tracker: drives every unfinished operation to SUCCEEDED or FAILED by polling its resource with backoff
// (100 ms growing to 2 s), long-lived, one per gateway (server/services.ts starts it and stops it in close()).
//  - On start-up it resumes every operation not finished (PENDING or RUNNING) in MongoDB, so a gateway stopped
//    mid-operation — or a replica that died — has its operations finished by the next one that starts.
//  - A PENDING operation older than its service's timeout (plus a margin) lost its gateway between the record and
//    the upstream's answer: whether the write happened is unknown, so it is verified, never sent again.
//  - Verifying (phase `verify`): the kind's check looks for evidence that the write happened (the idempotency key
//    in a server's or volume's metadata, a state change). None by the end of the settle window — three times the
//    service's timeout, at least 2 s, so a request still queued upstream has landed — means it did not: FAILED.
//  - Replicas may track the same operation; every state change is conditional on it not being final yet.
//  - Timers are unref'd: the tracker never keeps a process alive.
import { MosaicError } from '../../core/errors.ts';
import type { OperationStore } from './store.ts';
import { kindSpec, type CloudApi, type Progress } from './kinds.ts';
import { FINAL, type OperationRecord } from './types.ts';

/** An operation not final after this long fails: nothing the upstreams do takes longer. */
export const MAX_OPERATION_MS = 30 * 60_000;
const MAX_DELAY_MS = 2_000;
/** Without credentials for the operation's project, look again this often. */
const NO_CREDENTIALS_DELAY_MS = 500;

export interface TrackerDeps {
  store: OperationStore;
  /** Clients for the operation's project, or null when no usable token is held yet (credentials.ts). */
  api(op: OperationRecord): Promise<CloudApi | null>;
  /** How long after a lost answer a write may still land upstream. */
  settleMs(op: OperationRecord): number;
  /** How old a PENDING operation is before its gateway is presumed gone. */
  orphanMs(op: OperationRecord): number;
  onError?(err: unknown, op: OperationRecord | null): void;
}

export const backoffMs = (checks: number): number => Math.min(100 * 1.5 ** checks, MAX_DELAY_MS);

export class OperationTracker {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private running = false;
  private resumeTimer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: TrackerDeps) {}

  /** Starts tracking, and resumes every unfinished operation (retried every second until MongoDB answers). */
  start(): void {
    if (this.running) return;
    this.running = true;
    void this.resume();
  }

  private async resume(): Promise<void> {
    if (!this.running) return;
    try {
      for (const op of await this.deps.store.unfinished()) this.watch(op.id, 0);
    } catch (err) {
      this.deps.onError?.(err, null);
      this.resumeTimer = setTimeout(() => void this.resume(), 1_000);
      this.resumeTimer.unref();
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.resumeTimer) clearTimeout(this.resumeTimer);
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  /** Looks at the operation after `delayMs` (again, if it is already watched). */
  watch(id: string, delayMs: number): void {
    if (!this.running) return;
    const held = this.timers.get(id);
    if (held) clearTimeout(held);
    const timer = setTimeout(() => {
      this.timers.delete(id);
      void this.tick(id);
    }, delayMs);
    timer.unref();
    this.timers.set(id, timer);
  }

  /** Looks at the operation now unless a look is already scheduled. */
  watchIfIdle(id: string): void {
    if (!this.timers.has(id)) this.watch(id, 0);
  }

  /** How many operations are watched (for readiness and tests). */
  get size(): number {
    return this.timers.size;
  }

  private async tick(id: string): Promise<void> {
    let op: OperationRecord | null = null;
    try {
      op = await this.deps.store.get(id);
      if (!op || FINAL.has(op.status)) return;
      const next = await this.step(op);
      if (next !== null) this.watch(id, next);
    } catch (err) {
      // MongoDB or an upstream failing: look again later; the operation stays as it was.
      this.deps.onError?.(err, op);
      this.watch(id, backoffMs(op?.checks ?? 0) + NO_CREDENTIALS_DELAY_MS);
    }
  }

  /** One look at an operation: its new state recorded; the delay before the next look, or null when it is final. */
  private async step(op: OperationRecord): Promise<number | null> {
    const now = Date.now();
    const { store } = this.deps;
    if (op.status === 'PENDING') {
      const age = now - op.startedAt.getTime();
      const orphanMs = this.deps.orphanMs(op);
      if (age < orphanMs) return orphanMs - age;
      const updated = await store.update(op.id, { status: 'RUNNING', phase: 'verify', ambiguousAt: new Date(now) });
      if (!updated) return null;
      op = updated;
    }
    if (now - op.startedAt.getTime() > MAX_OPERATION_MS) {
      await this.finish(op, {
        state: 'failed',
        error: { code: 'MOSAIC_ERR_UPSTREAM_TIMEOUT', message: 'The operation did not finish in 30 minutes', upstreamMessage: null },
      });
      return null;
    }
    const api = await this.deps.api(op);
    if (!api) return NO_CREDENTIALS_DELAY_MS;
    let progress: Progress;
    try {
      progress = await kindSpec(op.kind).check(api, op);
    } catch (err) {
      // Transient upstream failures are asked again; the operation is not judged on a failed poll.
      if (err instanceof MosaicError) {
        this.deps.onError?.(err, op);
        await store.update(op.id, {});
        return backoffMs(op.checks) + NO_CREDENTIALS_DELAY_MS;
      }
      throw err;
    }
    switch (progress.state) {
      case 'succeeded':
      case 'failed':
        await this.finish(op, progress);
        return null;
      case 'running': {
        const set = progress.target ? { target: progress.target, phase: 'track' as const } : {};
        await store.update(op.id, set);
        return backoffMs(op.checks);
      }
      case 'unknown': {
        const since = op.ambiguousAt?.getTime();
        if (since !== undefined && now - since > this.deps.settleMs(op)) {
          await this.finish(op, {
            state: 'failed',
            error: {
              code: 'MOSAIC_ERR_UPSTREAM_TIMEOUT',
              message: 'The upstream did not answer the request, and the change it asked for never appeared: it did not happen',
              upstreamMessage: null,
            },
          });
          return null;
        }
        await store.update(op.id, {});
        return backoffMs(op.checks);
      }
    }
  }

  private async finish(op: OperationRecord, progress: Progress & { state: 'succeeded' | 'failed' }): Promise<void> {
    const now = new Date();
    await this.deps.store.update(op.id, {
      status: progress.state === 'succeeded' ? 'SUCCEEDED' : 'FAILED',
      phase: 'track',
      finishedAt: now,
      ...(progress.state === 'failed' ? { error: progress.error } : {}),
      ...(progress.target ? { target: progress.target } : {}),
    });
  }
}
