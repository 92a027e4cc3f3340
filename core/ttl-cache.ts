// A small time-bounded cache that also coalesces concurrent computations of the same key: the dashboard's
// repeated loads share one upstream fan-out. Keys must include the caller (DESIGN.md "Tenancy").

export class TtlCache<V> {
  private readonly entries = new Map<string, { at: number; value: Promise<V> }>();
  private static readonly MAX_ENTRIES = 1_000;

  constructor(private readonly ttlMs: number) {}

  /**
   * The cached value with the time it was computed, or a fresh computation. Failures are not cached, nor values
   * `keep` rejects (a partial answer should not outlive the outage that made it partial).
   */
  get(key: string, compute: () => Promise<V>, keep: (value: V) => boolean = () => true, now = Date.now()): Promise<{ value: V; at: number }> {
    const hit = this.entries.get(key);
    if (hit && now - hit.at < this.ttlMs) return hit.value.then((value) => ({ value, at: hit.at }));
    if (this.entries.size >= TtlCache.MAX_ENTRIES) {
      for (const [k, e] of this.entries) if (now - e.at >= this.ttlMs) this.entries.delete(k);
      if (this.entries.size >= TtlCache.MAX_ENTRIES) this.entries.clear();
    }
    const entry = { at: now, value: compute() };
    this.entries.set(key, entry);
    const forget = () => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    };
    entry.value.then((value) => keep(value) || forget(), forget);
    return entry.value.then((value) => ({ value, at: entry.at }));
  }
}
