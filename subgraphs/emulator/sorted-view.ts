// A cached, sorted copy of one of the Cloud's arrays, for the emulators' hot list endpoints: sorting 8 000
// volumes on every page request of a `volumes/detail?all_tenants=1` walk would cost more than serving the
// page. The copy is rebuilt whenever the source array's membership changes (an element added, removed or
// replaced, or the array itself swapped), checked by identity in O(n) pointer comparisons per call — far
// cheaper than a sort. Only sort on keys that never change for an element (ids, creation times).

export function sortedView<T>(source: () => readonly T[], compare: (a: T, b: T) => number): () => readonly T[] {
  let snapshot: readonly T[] = [];
  let snapshotOf: readonly T[] | undefined;
  let sorted: T[] = [];
  return () => {
    const items = source();
    let same = items === snapshotOf && items.length === snapshot.length;
    if (same) {
      for (let i = 0; i < items.length; i++) {
        if (items[i] !== snapshot[i]) {
          same = false;
          break;
        }
      }
    }
    if (!same) {
      snapshot = items.slice();
      snapshotOf = items;
      sorted = items.slice().sort(compare);
    }
    return sorted;
  };
}

/** Compares two scalar sort values the way SQL does for ascending order: NULL first, then by value. */
export function compareValues(a: string | number | boolean | null, b: string | number | boolean | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Python's urllib.parse.quote_plus, which every OpenStack service uses to build its next-page links. */
export function quotePlus(value: string): string {
  return encodeURIComponent(value)
    .replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())
    .replace(/%20/g, '+');
}

/** Python's urllib.parse.urlencode over a list of pairs (repeated keys kept, in order). */
export function urlencode(pairs: Iterable<[string, string]>): string {
  const out: string[] = [];
  for (const [k, v] of pairs) out.push(`${quotePlus(k)}=${quotePlus(v)}`);
  return out.join('&');
}
