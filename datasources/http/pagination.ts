// Following upstream pagination to the end. OpenStack lists are marker-paged: Nova and Cinder send
// `*_links: [{rel: "next", href}]` only when a page is full (https://docs.openstack.org/api-guide/compute/paginated_collections.html),
// Glance sends a `next` relative to the endpoint root that may lead to a last, empty page. We rebuild each next
// URL from our own base URL and the last item's id rather than trusting the href's host, which a proxy in
// front of the service may have written wrong.

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
 * item so far (undefined for the first page).
 */
export async function collectMarkerPages<T extends { id: string }>(
  fetchPage: (marker: string | undefined) => Promise<Page<T>>,
  maxPages = 1000,
): Promise<T[]> {
  const all: T[] = [];
  let marker: string | undefined;
  for (let i = 0; i < maxPages; i++) {
    const page = await fetchPage(marker);
    all.push(...page.items);
    if (!page.hasNext || page.items.length === 0) return all;
    marker = page.items[page.items.length - 1].id;
  }
  return all;
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
