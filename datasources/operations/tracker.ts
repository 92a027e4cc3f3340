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
//  - Events (datasources/events/): a notification naming a watched operation's resource either finishes it at once
//    (the action's own .end notification, judged by events/settle.ts) or wakes it to be polled now. Polling stays
//    the fallback: without a bus nothing changes here. onChange() reports every status this tracker records, so
//    subscriptions (operationUpdated) hear of it on every replica (server/subscriptions/).
import { MosaicError } from '../../core/errors.ts';
import type { OperationStore } from './store.ts';
import { kindSpec, type CloudApi, type Progress } from './kinds.ts';
import { FINAL, type OperationRecord, type OperationTarget } from './types.ts';

/** An operation not final after this long fails: nothing the upstreams do takes longer. */
export const MAX_OPERATION_MS = 30 * 60_000;
const MAX_DELAY_MS = 2_000;
/** Without credentials for the operation's project, look again this often. */
const NO_CREDENTIALS_DELAY_MS = 500;

type Judge = (op: OperationRecord) => (Progress & { state: 'succeeded' | 'failed' }) | null;

/** How long, and how many, events are kept for operations they may beat (see `recentEvents`). */
const RECENT_EVENT_MS = 5 * 60_000;
const RECENT_EVENTS_MAX = 10_000;

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
  /** What an event needs to find a watched operation: its target (`Type:key`, null until known) and project. */
  private readonly known = new Map<string, { target: string | null; projectId: string }>();
  private readonly changeListeners = new Set<(op: OperationRecord) => void>();
  /**
   * The last event heard per target (`Type:key`), kept a while: an event can beat the operation it finishes — the
   * cloud's `.end` notification arriving before the operation is recorded RUNNING with its target (a slow MongoDB
   * write, a fast upstream). Each look at an operation asks this first, so the event still finishes it even when
   * polling cannot (the event is the only witness); otherwise it would be lost and the operation left to polling.
   */
  private readonly recentEvents = new Map<string, { at: number; judge: Judge }>();

  constructor(private readonly deps: TrackerDeps) {}

  /** Calls `listener` with each operation this tracker moves to another status; returns unsubscribe. */
  onChange(listener: (op: OperationRecord) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  private changed(op: OperationRecord | null): void {
    if (!op) return;
    for (const l of this.changeListeners) {
      try {
        l(op);
      } catch {
        // A listener's failure is not the operation's.
      }
    }
  }

  private remember(op: OperationRecord): void {
    if (FINAL.has(op.status)) this.known.delete(op.id);
    else this.known.set(op.id, { target: op.target ? `${op.target.type}:${op.target.key}` : null, projectId: op.projectId });
  }

  /**
   * The cloud said something happened to `target` (of `projectId`; null for hosts). Each watched operation on it is
   * finished when `judge` says the event is its final state, else polled now; operations whose target is not known
   * yet (a create whose answer was lost) of that project are polled now too.
   */
  async onResourceEvent(target: OperationTarget, projectId: string | null, judge: Judge): Promise<void> {
    if (!this.running) return;
    this.rememberEvent(`${target.type}:${target.key}`, judge);
    try {
      // An event can beat an operation's first poll: learn the targets of watched operations not loaded yet.
      for (const id of [...this.timers.keys()].filter((id) => !this.known.has(id))) {
        const op = await this.deps.store.get(id);
        if (op) this.remember(op);
      }
      const key = `${target.type}:${target.key}`;
      for (const [id, k] of [...this.known]) {
        if (k.target === null && (projectId === null || k.projectId === projectId)) this.watch(id, 0);
        if (k.target !== key) continue;
        const op = await this.deps.store.get(id);
        if (!op || FINAL.has(op.status)) {
          this.known.delete(id);
          continue;
        }
        const verdict = op.status === 'RUNNING' ? judge(op) : null;
        if (!verdict) {
          this.watch(id, 0);
          continue;
        }
        const held = this.timers.get(id);
        if (held) clearTimeout(held);
        this.timers.delete(id);
        await this.finish(op, verdict);
        this.known.delete(id);
      }
    } catch (err) {
      this.deps.onError?.(err, null);
    }
  }

  private rememberEvent(key: string, judge: Judge): void {
    const now = Date.now();
    this.recentEvents.delete(key);
    this.recentEvents.set(key, { at: now, judge });
    // Oldest first (insertion order): drop what is too old or past the bound.
    for (const [k, e] of this.recentEvents) {
      if (this.recentEvents.size <= RECENT_EVENTS_MAX && now - e.at <= RECENT_EVENT_MS) break;
      this.recentEvents.delete(k);
    }
  }

  /** The verdict of an event already heard about this operation's target, if one finishes it. */
  private heardVerdict(op: OperationRecord): (Progress & { state: 'succeeded' | 'failed' }) | null {
    if (op.status !== 'RUNNING' || !op.target) return null;
    const heard = this.recentEvents.get(`${op.target.type}:${op.target.key}`);
    // Only an event from after the operation began can be its outcome.
    if (!heard || Date.now() - heard.at > RECENT_EVENT_MS || heard.at < op.startedAt.getTime()) return null;
    return heard.judge(op);
  }

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
    this.known.clear();
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
      if (op) this.remember(op);
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
      this.changed(updated);
      op = updated;
    }
    if (now - op.startedAt.getTime() > MAX_OPERATION_MS) {
      await this.finish(op, {
        state: 'failed',
        error: { code: 'MOSAIC_ERR_UPSTREAM_TIMEOUT', message: 'The operation did not finish in 30 minutes', upstreamMessage: null },
      });
      return null;
    }
    const heard = this.heardVerdict(op);
    if (heard) {
      await this.finish(op, heard);
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
    const updated = await this.deps.store.update(op.id, {
      status: progress.state === 'succeeded' ? 'SUCCEEDED' : 'FAILED',
      phase: 'track',
      finishedAt: now,
      ...(progress.state === 'failed' ? { error: progress.error } : {}),
      ...(progress.target ? { target: progress.target } : {}),
    });
    this.known.delete(op.id);
    this.changed(updated);
  }
}
