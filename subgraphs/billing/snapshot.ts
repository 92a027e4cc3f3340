// An optional in-memory read model of billing's own collections (prices and usage), for a billing service that
// must answer in a few milliseconds over a slow store: FerretDB over SQLite scans the ~1,000 usage records of a
// `small` cloud in 100–200 ms per query (it pushes no `$in` or secondary-index filter down to SQLite; measured
// with bench/federation.ts), which would make every `_entities` call cost that much. With `cacheTtlMs` > 0 the
// service reads both collections at most once per TTL and answers from memory in between (stale while one
// refresh runs: a usage record or price written now is billed from the next refresh, at most a TTL later).
// With 0 (the tests' default) every request reads MongoDB itself, as schema.ts always did.
import type { Db } from 'mongodb';
import { readPriceBook, type PriceBook } from './prices.ts';
import { usageOf, type UsageDoc } from './usage.ts';

export interface BillingData {
  prices: PriceBook;
  byId: Map<string, UsageDoc>;
  byProject: Map<string, UsageDoc[]>;
}

export class BillingSnapshot {
  private current: { data: BillingData; readAt: number } | null = null;
  private refreshing: Promise<BillingData> | null = null;

  constructor(
    private readonly db: Db,
    private readonly ttlMs: number,
  ) {}

  /** The data, from memory when it is younger than the TTL; the first call (or one after an error) waits for a read. */
  get(): Promise<BillingData> {
    const now = Date.now();
    if (this.current && now - this.current.readAt < this.ttlMs) return Promise.resolve(this.current.data);
    const refresh = (this.refreshing ??= this.read().finally(() => (this.refreshing = null)));
    // Stale while revalidating: only a service that has never read waits for the read.
    return this.current ? Promise.resolve(this.current.data) : refresh;
  }

  private async read(): Promise<BillingData> {
    const readAt = Date.now();
    const [prices, usage] = await Promise.all([readPriceBook(this.db), usageOf(this.db).find({}).toArray()]);
    const byId = new Map(usage.map((u) => [u._id, u]));
    const byProject = new Map<string, UsageDoc[]>();
    for (const u of [...usage].sort((a, b) => a._id.localeCompare(b._id))) byProject.set(u.projectId, [...(byProject.get(u.projectId) ?? []), u]);
    const data = { prices, byId, byProject };
    this.current = { data, readAt };
    return data;
  }
}
