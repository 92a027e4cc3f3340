// Grouping for the emulators' lookup indexes (hosts by zone, disks by storage pool, …). The emulators keep their
// own copy rather than importing the gateway's: subgraphs/ stands in for the user's real services and imports
// nothing from datasources/, resolvers/, server/ or core/.

/** Groups items by a key into a Map of arrays, keeping the items' order within each group. */
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
