// One request's planning state, shared by every loader module: who is asking (for the tenant scope of size
// hints), the wide lists fetched so far (so a list fetched for one batch serves every later batch for free),
// the batching settings, and the factory for loaders dispatched by the request's BatchScheduler. Built fresh for
// each request; nothing here outlives it except what it writes into the long-lived SizeHints. choose() prices a
// batch's candidate plans with the upstream timings the request's HTTP client learns (planner/upstream-stats.ts)
// and, when an administrator asked for explain, records the choice (planner/plan-trace.ts).
import DataLoader from 'dataloader';
import { tenantScope, type Caller } from '../../core/caller.ts';
import { channels, type BatchMessage } from '../../core/diagnostics.ts';
import type { UpstreamClient } from '../http/client.ts';
import { choose, type Candidate } from './choose.ts';
import { PRIOR_STATS, rank } from './cost-model.ts';
import type { BatchScheduler } from './scheduler.ts';
import type { SizeHints } from './size-hints.ts';

export interface BatchSettings {
  concurrency: number;
  maxUrlBytes: number;
}

export class RequestState {
  private readonly lists = new Map<string, Promise<unknown>>();
  private readonly tenant: string;

  constructor(
    readonly caller: Caller,
    readonly hints: SizeHints,
    readonly scheduler: BatchScheduler,
    readonly batching: BatchSettings,
    /** The request's HTTP client: its learned upstream timings, when explaining its plan trace, and its request (`scope`). */
    private readonly upstream?: UpstreamClient,
  ) {
    this.tenant = tenantScope(caller);
  }

  /**
   * The batch's plan expected to finish soonest (planner/choose.ts), run. With explain on, the candidates, their
   * estimates, the choice and what its run cost upstream are recorded under `loader`.
   */
  choose<T>(loader: string, plans: readonly Candidate<T>[]): Promise<T> {
    const stats = this.upstream?.stats ?? PRIOR_STATS;
    const trace = this.upstream?.trace;
    // A plan needing more calls than the request has left (server.maxUpstreamCalls) would fail: never expected sooner.
    const budget = this.upstream?.remainingCalls ?? Infinity;
    const candidates = plans.some((c) => c.calls > budget) ? plans.map((c) => (c.calls > budget ? { ...c, calls: Infinity } : c)) : plans;
    if (!trace) return choose(candidates, stats).run();
    const { best, estimates } = rank(candidates, stats);
    const chosen = candidates[best];
    const reports = estimates.map((e, i) => ({ name: candidates[i].name, ...e }));
    return trace.run(loader, chosen.service ?? '', reports, chosen.name, chosen.run);
  }

  /** Records a list `key` costs: 0 once fetched in this request, else its learned size (or `fallback`). */
  listRecords(key: string, fallback: number): number {
    return this.has(key) ? 0 : (this.known(key) ?? fallback);
  }

  /**
   * Sequential rounds a wide list `key` costs: a first page, then the rest at once where the source pages in
   * parallel (http/pagination.ts: Cinder from 3.45 by offset, Nova's all-tenants list per availability zone), so
   * at most 2; a marker chain costs one round per page.
   */
  listRounds(key: string, pageSize: number, parallel: boolean, fallbackSize = 0): number {
    const pages = this.listCalls(key, pageSize, fallbackSize);
    return parallel ? Math.min(pages, 2) : pages;
  }

  /** Concurrent rounds `n` per-key calls take under the concurrency cap. */
  perKeyRounds(n: number): number {
    return Math.ceil(n / Math.max(1, this.batching.concurrency));
  }

  /** A list fetched at most once per request under `key`. */
  once<T>(key: string, fetch: () => Promise<T>): Promise<T> {
    let pending = this.lists.get(key) as Promise<T> | undefined;
    if (!pending) {
      pending = fetch();
      this.lists.set(key, pending);
    }
    return pending;
  }

  /** True when the list `key` has been fetched (or is on its way) in this request. */
  has(key: string): boolean {
    return this.lists.has(key);
  }

  /** Records the size of list `key` for the cost model of later requests of the same tenant scope. */
  learn(key: string, size: number): void {
    this.hints.set(`${this.tenant}|${key}`, size);
  }

  /** The learned size of list `key`, if any. */
  known(key: string): number | undefined {
    return this.hints.get(`${this.tenant}|${key}`);
  }

  /** Calls a marker-paged list `key` costs: 0 once fetched in this request, else its expected pages. */
  listCalls(key: string, pageSize: number, fallbackSize = 0): number {
    return this.has(key) ? 0 : this.hints.pages(`${this.tenant}|${key}`, pageSize, fallbackSize);
  }

  /**
   * A DataLoader whose batches the request's scheduler dispatches (one query level, one batch). The batch
   * function must return one entry per key in key order — a value, null, or an Error for that key alone —
   * and a wrong length fails every key with a message naming the loader (DataLoader checks this too, with a
   * message that does not say which loader). Each batch is published on the batchStart/batchEnd diagnostics
   * channels (core/diagnostics.ts) when anyone listens. `perKey`: the batch makes one call per key whatever it
   * holds, so it is dispatched without waiting for the calls in flight (planner/scheduler.ts scheduleEager).
   */
  loader<K, V, C = K>(
    name: string,
    batch: (keys: readonly K[]) => Promise<(V | Error)[]>,
    { perKey = false, ...options }: { cacheKeyFn?: (key: K) => C; perKey?: boolean } = {},
  ): DataLoader<K, V, C> {
    return new DataLoader<K, V, C>(
      async (keys) => {
        const run = async () => {
          const values = await batch(keys);
          if (!Array.isArray(values) || values.length !== keys.length) {
            throw new TypeError(
              `loader ${name}: the batch returned ${Array.isArray(values) ? values.length : typeof values} entries for ${keys.length} keys`,
            );
          }
          return values;
        };
        if (!channels.batchStart.hasSubscribers && !channels.batchEnd.hasSubscribers) return run();
        const message: BatchMessage = { loader: name, keys: keys.length, request: this.upstream?.scope };
        if (channels.batchStart.hasSubscribers) channels.batchStart.publish(message);
        const started = performance.now();
        try {
          return await run();
        } catch (err) {
          message.error = err as Error;
          throw err;
        } finally {
          message.durationMs = performance.now() - started;
          if (channels.batchEnd.hasSubscribers) channels.batchEnd.publish(message);
        }
      },
      { batchScheduleFn: perKey ? this.scheduler.scheduleEager : this.scheduler.schedule, ...options },
    );
  }
}
