// The cost model behind the loaders' choices (DESIGN.md "Batching: the rules"): where an upstream takes no
// multi-key filter, a batch is either single-key calls under a concurrency cap or one list over a wider scope,
// grouped locally — whichever costs fewer calls. The cost of a list is its page count, which we learn: every
// list we fetch records how many items the scope held, per tenant (an admin's all_tenants list and a member's
// own list are different scopes), and the next request estimates from that. Only sizes are remembered here,
// never caller-visible data.

export class SizeHints {
  private readonly sizes = new Map<string, number>();
  private static readonly MAX_ENTRIES = 50_000;

  get(scope: string): number | undefined {
    return this.sizes.get(scope);
  }

  set(scope: string, size: number): void {
    if (this.sizes.size >= SizeHints.MAX_ENTRIES && !this.sizes.has(scope)) this.sizes.clear();
    this.sizes.set(scope, size);
  }

  /** Pages a marker-paged list of this scope costs; a list of exactly N full pages costs one more, empty page. */
  pages(scope: string, pageSize: number, fallbackSize = 0): number {
    const size = this.sizes.get(scope) ?? fallbackSize;
    return Math.floor(size / pageSize) + 1;
  }
}

/** Runs `fn` over `items` with at most `limit` in flight; results in input order. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Groups items by a key into a Map of arrays. */
export function groupBy<T, K>(items: Iterable<T>, key: (item: T) => K): Map<K, T[]> {
  const map = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = map.get(k);
    if (list) list.push(item);
    else map.set(k, [item]);
  }
  return map;
}

/** Per-request memo of whole lists, so a wide list fetched for one batch serves every later batch too. */
export class ListMemo {
  private readonly lists = new Map<string, Promise<unknown>>();

  get<T>(key: string, fetch: () => Promise<T>): Promise<T> {
    let pending = this.lists.get(key) as Promise<T> | undefined;
    if (!pending) {
      pending = fetch();
      this.lists.set(key, pending);
    }
    return pending;
  }

  has(key: string): boolean {
    return this.lists.has(key);
  }
}
