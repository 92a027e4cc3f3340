// A small time-bounded cache that also coalesces concurrent computations of the same key: the dashboard's
// repeated loads share one upstream fan-out. Keys must include the caller (DESIGN.md "Tenancy"). With a
// SharedStore (Redis, for replicas) a value one gateway computed serves the others until it expires, with the
// time it was computed; the store is a cache, so a failing store means computing here, never an error.
import type { SharedStore } from './shared-store.ts';
import { channels } from './diagnostics.ts';

export interface SharedTier<V> {
  store: SharedStore;
  /** Key prefix in the store, e.g. `fleet:`. */
  prefix: string;
  encode(value: V): string;
  decode(text: string): V;
}

interface Entry<V> {
  at: number;
  result: Promise<{ value: V; at: number }>;
}

export class TtlCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private static readonly MAX_ENTRIES = 1_000;

  constructor(
    private readonly ttlMs: number,
    /** A label for the cache-lookup diagnostics (core/diagnostics.ts). */
    private readonly name = 'ttl',
    private readonly shared?: SharedTier<V>,
  ) {}

  /**
   * The cached value with the time it was computed, or a fresh computation. Failures are not cached, nor values
   * `keep` rejects (a partial answer should not outlive the outage that made it partial).
   */
  get(key: string, compute: () => Promise<V>, keep: (value: V) => boolean = () => true, now = Date.now()): Promise<{ value: V; at: number }> {
    const hit = this.entries.get(key);
    if (hit && now - hit.at < this.ttlMs) {
      if (channels.cache.hasSubscribers) channels.cache.publish({ cache: this.name, hit: true });
      return hit.result;
    }
    if (this.entries.size >= TtlCache.MAX_ENTRIES) {
      for (const [k, e] of this.entries) if (now - e.at >= this.ttlMs) this.entries.delete(k);
      if (this.entries.size >= TtlCache.MAX_ENTRIES) this.entries.clear();
    }
    const entry: Entry<V> = { at: now, result: this.load(key, compute, keep, now) };
    this.entries.set(key, entry);
    const forget = () => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    };
    entry.result.then(({ value, at }) => {
      if (!keep(value)) forget();
      else entry.at = at;
    }, forget);
    return entry.result;
  }

  /** The value from the shared tier when another replica has it, else computed here (and shared when kept). */
  private async load(key: string, compute: () => Promise<V>, keep: (value: V) => boolean, now: number): Promise<{ value: V; at: number }> {
    const shared = this.shared;
    if (shared) {
      const text = await shared.store.get(shared.prefix + key).catch(() => null);
      if (text) {
        try {
          const { at, value } = JSON.parse(text) as { at: number; value: string };
          if (now - at < this.ttlMs) {
            if (channels.cache.hasSubscribers) channels.cache.publish({ cache: this.name, hit: true });
            return { value: shared.decode(value), at };
          }
        } catch {
          // An entry this version cannot read: compute it again.
        }
      }
    }
    if (channels.cache.hasSubscribers) channels.cache.publish({ cache: this.name, hit: false });
    const value = await compute();
    if (shared && keep(value) && this.ttlMs > 0) {
      shared.store.set(shared.prefix + key, JSON.stringify({ at: now, value: shared.encode(value) }), this.ttlMs).catch(() => {});
    }
    return { value, at: now };
  }
}

/** JSON that keeps Dates (as `{"$date": iso}`), for values shared through a store. */
export const jsonWithDates = {
  encode(value: unknown): string {
    return JSON.stringify(value, function (this: Record<string, unknown>, key, v) {
      const raw = this[key];
      return raw instanceof Date ? { $date: raw.toISOString() } : v;
    });
  },
  decode<T>(text: string): T {
    return JSON.parse(text, (_, v) =>
      v && typeof v === 'object' && typeof v.$date === 'string' && Object.keys(v).length === 1 ? new Date(v.$date) : v,
    ) as T;
  },
};
