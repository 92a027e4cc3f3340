// GETs in flight across all requests, keyed by service, URL and the credential's tenant scope. A request that
// needs the same answer while it is on its way waits for it instead of asking again: under load, identical
// dashboard or console queries share one upstream call and one parsed body. Entries leave when the answer
// arrives, so nothing is served that was not fetched for this moment, and the scope in the key keeps tenants
// apart (DESIGN.md "Tenancy").

export class InflightGets<V> {
  private readonly pending = new Map<string, Promise<V>>();

  /** The fetch in flight under `key`, or a new one started with `fetch`. */
  share(key: string, fetch: () => Promise<V>): Promise<V> {
    const shared = this.pending.get(key);
    if (shared) return shared;
    const started = fetch();
    this.pending.set(key, started);
    const forget = () => this.pending.delete(key);
    started.then(forget, forget);
    return started;
  }

  /** True when a fetch is in flight under `key`: share() would join it (a hit) rather than start one (a miss). */
  has(key: string): boolean {
    return this.pending.has(key);
  }

  get size(): number {
    return this.pending.size;
  }
}
