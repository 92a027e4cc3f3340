// Following upstream pagination to the end, in parallel wherever the upstream allows (DESIGN.md "Batching: the
// rules"). OpenStack lists are marker-paged: Nova and Cinder send `*_links: [{rel: "next", href}]` only when a
// page is full (https://docs.openstack.org/api-guide/compute/paginated_collections.html), Glance sends a `next`
// relative to the endpoint root that may lead to a last, empty page. We rebuild each next URL from our own base
// URL and the last item's id rather than trusting the href's host, which a proxy in front of the service may
// have written wrong. A marker chain is sequential by nature, so it is the last resort:
//  - offset pages (Cinder with `with_count` from 3.45, the legacy controller's `{items, total}`): the first page
//    says how many there are, the others are fetched at once (collectOffsetPages);
//  - disjoint scopes (Nova's availability zones, nova/source.ts): one marker chain per scope, side by side.
// Memory: every page is mapped to domain records as it arrives (the `fetchPage` callbacks return mapped items),
// so the sources keep no raw page array past its own mapping (and the request's URL memo in http/client.ts lets
// go of bodies over MEMO_MAX_BYTES once their consumers have them); and at most BIG_PAGES_IN_FLIGHT big pages
// (expected over BIG_PAGE_BYTES: Nova and Cinder pages of up to 1000 records are ~1–2 MB of JSON, several times
// that parsed) are in flight per upstream in the whole process (listGate: a long-lived semaphore per service,
// shared by every request), which bounds the raw JSON being received, parsed and mapped at once however many wide
// queries run: 64 concurrent fleet trees do not hold 64 all-tenants volume lists at once. A page is expected big
// from the list's learned size (planner/size-hints.ts, passed down by the loaders) × the upstream's learned bytes
// per record (planner/upstream-stats.ts); a list never seen is expected big. Small pages (a member's project,
// one zone of a small cloud) never wait behind big ones. On two cores 4 big pages at a time keep both busy
// (one parsing while others travel); more only multiplies the memory.

import { mapLimit } from '../../core/collections.ts';

export interface Page<T> {
  items: T[];
  hasNext: boolean;
}

/** Builds a query string with repeated keys for array values; undefined values are skipped. */
export function queryString(params: Record<string, string | number | boolean | (string | number)[] | undefined>): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(String(v))}`);
  }
  return parts.join('&');
}

export function withQuery(url: string, query: string): string {
  if (!query) return url;
  return `${url}${url.includes('?') ? '&' : '?'}${query}`;
}

/** True when a `*_links` array has a rel=next entry. */
export const hasNextLink = (links: unknown): boolean => Array.isArray(links) && links.some((l) => l && (l as { rel?: string }).rel === 'next');

/**
 * Fetches marker pages until the upstream says there is no next one. `fetchPage` gets the marker of the last
 * item so far (`start` for the first page, undefined by default) and returns that page already mapped.
 */
export async function collectMarkerPages<T>(
  fetchPage: (marker: string | undefined) => Promise<Page<T>>,
  maxPages = 1000,
  markerOf: (item: T) => string = (item) => (item as { id: string }).id,
  start?: string,
): Promise<T[]> {
  const all: T[] = [];
  let marker = start;
  for (let i = 0; i < maxPages; i++) {
    const page = await fetchPage(marker);
    for (const item of page.items) all.push(item);
    if (!page.hasNext || page.items.length === 0) return all;
    marker = markerOf(page.items[page.items.length - 1]);
  }
  return all;
}

/** One offset page, mapped; `total` is what the upstream says the whole list holds (the first page must say). */
export interface OffsetPage<T> {
  items: T[];
  total?: number;
}

/**
 * Fetches offset pages in parallel: the first page (which reports the total), then every other page at once,
 * at most `concurrency` in flight, laid out in offset order — the same records in the same order as following
 * the pages one by one. Returns null when the first page reports no total (the caller falls back to a marker
 * chain). The total is trusted: a record created while the pages are read lands at the head of a newest-first
 * list, where a marker chain would miss it too; one that moved across a page boundary meanwhile is dropped the
 * second time (`keyOf`).
 */
export async function collectOffsetPages<T>(
  fetchPage: (offset: number) => Promise<OffsetPage<T>>,
  pageSize: number,
  concurrency: number,
  keyOf: (item: T) => string | number,
  maxPages = 1000,
): Promise<T[] | null> {
  const first = await fetchPage(0);
  if (first.total === undefined) return null;
  const offsets: number[] = [];
  for (let offset = pageSize; offset < first.total && offsets.length < maxPages - 1; offset += pageSize) offsets.push(offset);
  if (first.items.length < pageSize) offsets.length = 0;
  const pages = [first.items, ...(await mapLimit(offsets, concurrency, async (offset) => (await fetchPage(offset)).items))];
  const seen = new Set<string | number>();
  const all: T[] = [];
  for (const page of pages) {
    for (const item of page) {
      const key = keyOf(item);
      if (seen.has(key)) continue;
      seen.add(key);
      all.push(item);
    }
  }
  return all;
}

/** Offset pages of one list asked for at once (collectOffsetPages' concurrency); big ones still wait for the gate. */
export const LIST_PAGES_IN_FLIGHT = 8;

/** Pages expected larger than this wait for their upstream's gate (see the header). */
export const BIG_PAGE_BYTES = 256 * 1024;

/** Big pages in flight per upstream service, for the whole process (see the header). */
export const BIG_PAGES_IN_FLIGHT = 4;

/**
 * True when a page of a list is expected over BIG_PAGE_BYTES: `expectedRecords` is the list's learned size
 * (undefined when never seen: then the full `pageLimit`), `bytesPerRecord` the upstream's learned record size.
 */
export function bigPage(expectedRecords: number | undefined, pageLimit: number, bytesPerRecord: number): boolean {
  return Math.min(expectedRecords ?? pageLimit, pageLimit) * bytesPerRecord > BIG_PAGE_BYTES;
}

/** A counting semaphore: at most `limit` runs at once, the others wait in arrival order. */
export class Gate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      // The permit passes straight to the next waiter, so `active` counts it without a gap a newcomer could take.
      if (next) next();
      else this.active--;
    }
  }

  /** Runs holding a permit or waiting for one (tests and metrics). */
  get load(): { active: number; waiting: number } {
    return { active: this.active, waiting: this.waiting.length };
  }
}

const gates = new Map<string, Gate>();

/** The long-lived gate for big list pages of `service` (one per service per process). */
export function listGate(service: string): Gate {
  let gate = gates.get(service);
  if (!gate) gates.set(service, (gate = new Gate(BIG_PAGES_IN_FLIGHT)));
  return gate;
}

const OPEN: Pick<Gate, 'run'> = { run: (fn) => fn() };

/** The service's gate for pages expected big (bigPage()), none for the others. */
export function pageGate(service: string, big: boolean): Pick<Gate, 'run'> {
  return big ? listGate(service) : OPEN;
}

/** Splits keys into chunks whose joined query stays under `maxBytes` (a URL of ~4 KB passes every proxy). */
export function chunkByUrlBytes<K extends string>(keys: K[], baseBytes: number, perKeyBytes: (key: K) => number, maxBytes: number): K[][] {
  const chunks: K[][] = [];
  let current: K[] = [];
  let size = baseBytes;
  for (const key of keys) {
    const cost = perKeyBytes(key);
    if (current.length > 0 && size + cost > maxBytes) {
      chunks.push(current);
      current = [];
      size = baseBytes;
    }
    current.push(key);
    size += cost;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
