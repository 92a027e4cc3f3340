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

  get size(): number {
    return this.pending.size;
  }
}
