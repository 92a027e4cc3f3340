// What the cost model knows about list sizes (DESIGN.md "Batching: the rules"): every list fetched records how
// many items its scope held, keyed by tenant scope and list (an admin's all_tenants list and a member's own list
// are different scopes), and the next request estimates from that. Long-lived and shared by every request;
// only sizes are remembered here, never caller-visible data.

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
