// One request's planning state, shared by every loader module: who is asking (for the tenant scope of size
// hints), the wide lists fetched so far (so a list fetched for one batch serves every later batch for free),
// the batching settings, and the factory for loaders dispatched by the request's BatchScheduler. Built fresh for
// each request; nothing here outlives it except what it writes into the long-lived SizeHints.
import DataLoader from 'dataloader';
import { tenantScope, type Caller } from '../../core/caller.ts';
import { channels, type BatchMessage } from '../../core/diagnostics.ts';
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
  ) {
    this.tenant = tenantScope(caller);
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
   * channels (core/diagnostics.ts) when anyone listens.
   */
  loader<K, V, C = K>(
    name: string,
    batch: (keys: readonly K[]) => Promise<(V | Error)[]>,
    options: { cacheKeyFn?: (key: K) => C } = {},
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
        const message: BatchMessage = { loader: name, keys: keys.length };
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
      { batchScheduleFn: this.scheduler.schedule, ...options },
    );
  }
}
