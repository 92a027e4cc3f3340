// Nova's per-request loaders and their candidate plans. Nova has no multi-id or multi-host filter, so a batch of
// hosts is answered by per-host lists, the hosts' zone lists or the one all-tenants list, and a batch of ids by
// per-id GETs or the caller's whole list — whichever is expected to finish soonest (planner/cost-model.ts). Every
// server any list returns is kept for the request, so a later lookup by id is free.
import type { Flavor, HostAggregate, Hypervisor, Instance } from '../../core/domain.ts';
import { groupBy, mapLimit } from '../../core/collections.ts';
import { UNKNOWN_LIST_RECORDS } from '../planner/cost-model.ts';
import type { RequestState } from '../planner/request-state.ts';
import { NOVA_PAGE_LIMIT, type NovaSource, type ServerFilters } from './source.ts';

/** A host-scoped key: Nova filters by hostname, the zone lets us choose a zone-wide list instead. */
export interface HostKey {
  zoneName: string;
  hostname: string;
}

export function novaLoaders(nova: NovaSource, s: RequestState) {
  const { concurrency } = s.batching;
  /** Every server this request has listed or fetched, by id. */
  const known = new Map<string, Instance>();
  const remember = (list: Instance[]) => {
    for (const i of list) known.set(i.id, i);
    return list;
  };
  /** Zones whose hosts this request has asked about: their learned sizes estimate an unknown all-tenants list. */
  const zonesAsked = new Set<string>();

  const allServers = () =>
    s.once('nova:all', async () => {
      const list = remember(await nova.listServers(s.caller.isAdmin ? { all_tenants: '1' } : {}, s.known('nova:all')));
      s.learn('nova:all', list.length);
      for (const [zone, servers] of groupBy(list, (i) => i.zoneName)) s.learn(`nova:zone:${zone}`, servers.length);
      return list;
    });
  // A down cell's minimal record (2.69+) names no zone: it may belong to any, so every zone's share keeps it.
  const inZone = (zone: string) => (list: Instance[]) => list.filter((i) => i.zoneName === zone || (i.partial && i.zoneName === null));
  /**
   * Per host key: how many servers of the host's scope Nova returned as down-cell records without a host, any of
   * which may run there (all of them when the record names no zone, else only its zone's). Filled before the
   * key's list resolves; Host.instances then reports the list as partial (README "Partial records").
   */
  const unplaceable = new Map<string, number>();
  const hostKey = (k: HostKey) => `${k.zoneName}\u0000${k.hostname}`;
  /** The servers of `scope` placed on `k`'s host, counting those that could be but name no host. */
  const placeOn = (k: HostKey, scope: Instance[]): Instance[] => {
    let unknown = 0;
    const placed = scope.filter((i) => {
      if (i.hostname === null && i.partial && (i.zoneName === null || i.zoneName === k.zoneName)) unknown++;
      return i.hostname === k.hostname;
    });
    unplaceable.set(hostKey(k), unknown);
    return placed;
  };
  const unplaceableOnHost = (k: HostKey): number => unplaceable.get(hostKey(k)) ?? 0;
  const zoneServers = (zone: string) =>
    s.has('nova:all')
      ? allServers().then(inZone(zone))
      : s.once(`nova:zone:${zone}`, async () => {
          const list = remember(await nova.listServers({ all_tenants: '1', availability_zone: zone }, s.known(`nova:zone:${zone}`)));
          s.learn(`nova:zone:${zone}`, list.length);
          return list;
        });

  /** Servers per host (admin only: `host` is an admin filter). */
  const instancesByHost = s.loader<HostKey, Instance[], string>(
    'instancesByHost',
    async (keys) => {
      const zones = [...groupBy(keys, (k) => k.zoneName).keys()];
      for (const z of zones) zonesAsked.add(z);
      /** Fetches each zone's servers with `source`, then answers every key from its zone's group. */
      const grouped = async (source: (zone: string) => Promise<Instance[]>) => {
        const byZone = new Map<string, Map<string, Instance[]> | Error>();
        await Promise.all(
          zones.map(async (z) => {
            try {
              byZone.set(
                z,
                groupBy(await source(z), (i) => i.hostname ?? ''),
              );
            } catch (err) {
              byZone.set(z, err as Error);
            }
          }),
        );
        return keys.map((k) => {
          const group = byZone.get(k.zoneName)!;
          // Servers without a host (grouped under '') are counted, not placed: see placeOn.
          return group instanceof Error ? group : placeOn(k, [...(group.get(k.hostname) ?? []), ...(group.get('') ?? [])]);
        });
      };
      let knownZoneTotal = 0;
      for (const z of zonesAsked) knownZoneTotal += s.known(`nova:zone:${z}`) ?? 0;
      const zonePages = s.has('nova:all') ? [0] : zones.map((z) => s.listCalls(`nova:zone:${z}`, NOVA_PAGE_LIMIT));
      const zoneRecords = s.has('nova:all') ? 0 : zones.reduce((sum, z) => sum + s.listRecords(`nova:zone:${z}`, UNKNOWN_LIST_RECORDS), 0);
      const allPages = s.listCalls('nova:all', NOVA_PAGE_LIMIT, knownZoneTotal);
      return s.choose<(Instance[] | Error)[]>('instancesByHost', [
        {
          // The hosts' servers are a part of their zones': at most the zones' records, ~20 a host when unknown.
          name: 'per-host',
          service: 'nova',
          kind: 'servers',
          calls: keys.length,
          rounds: s.perKeyRounds(keys.length),
          records: Math.min(zoneRecords || Infinity, keys.length * 20),
          run: () =>
            mapLimit(keys, concurrency, (k) =>
              s
                .once(`nova:host:${k.hostname}`, async () => remember(await nova.listServers({ all_tenants: '1', host: k.hostname })))
                // A minimal record in a host's list names no host: it is counted, never placed on this host.
                // (A real Nova skips down cells in filtered or paged lists: README "Partial records", known gap.)
                .then((list) => placeOn(k, list))
                .catch((e: Error) => e),
            ),
        },
        {
          // The zones' lists in parallel: as many rounds as the longest zone's pages.
          name: 'zone-lists',
          service: 'nova',
          kind: 'servers',
          calls: zonePages.reduce((a, b) => a + b, 0),
          rounds: Math.max(...zonePages),
          records: zoneRecords,
          run: () => grouped(zoneServers),
        },
        {
          name: 'all-tenants',
          service: 'nova',
          kind: 'servers',
          calls: allPages,
          rounds: allPages,
          records: s.listRecords('nova:all', knownZoneTotal || UNKNOWN_LIST_RECORDS),
          run: () => grouped((z) => allServers().then(inZone(z))),
        },
      ]);
    },
    { cacheKeyFn: hostKey },
  );

  /** One server by id: per-id GETs, or the caller's whole list when that is expected sooner. */
  const instance = s.loader<string, Instance | null>('instance', async (ids) => {
    const unseen = ids.filter((id) => !known.has(id));
    if (unseen.length === 0) return ids.map((id) => known.get(id) ?? null);
    const allPages = s.listCalls('nova:all', NOVA_PAGE_LIMIT);
    return s.choose<(Instance | null | Error)[]>('instance', [
      {
        name: 'per-id',
        service: 'nova',
        kind: 'server',
        calls: unseen.length,
        rounds: s.perKeyRounds(unseen.length),
        records: unseen.length,
        run: async () => {
          const found = await mapLimit(unseen, concurrency, (id) => nova.getServer(id).catch((e: Error) => e));
          const errors = new Map<string, Error>();
          found.forEach((f, i) => (f instanceof Error ? errors.set(unseen[i], f) : f && known.set(f.id, f)));
          return ids.map((id) => known.get(id) ?? errors.get(id) ?? null);
        },
      },
      {
        name: 'all-servers',
        service: 'nova',
        kind: 'servers',
        calls: allPages,
        rounds: allPages,
        records: s.listRecords('nova:all', UNKNOWN_LIST_RECORDS),
        run: async () => {
          await allServers();
          return ids.map((id) => known.get(id) ?? null);
        },
      },
    ]);
  });

  /** Servers a connection page already holds, so their edges need no lookup. */
  const primeInstances = (list: Instance[]) => {
    for (const i of remember(list)) instance.prime(i.id, i);
    return list;
  };

  /** Servers matching Nova filters (for `instances(filter:)`); the unfiltered list is the shared wide one. */
  const serverList = (filters: ServerFilters) => {
    const active = Object.entries(filters).filter(([, v]) => v !== undefined && (!Array.isArray(v) || v.length > 0));
    if (active.length === 0) return allServers();
    const params = Object.fromEntries(active);
    if (s.caller.isAdmin) params.all_tenants = '1';
    return s.once(`nova:list:${JSON.stringify(params)}`, async () => remember(await nova.listServers(params)));
  };

  const flavors = () => s.once('nova:flavors', () => nova.flavors());
  /** A flavor by id (an older Nova's servers carry only the id): one flavors list serves every key. */
  const flavor = s.loader<string, Flavor | null>('flavor', async (ids) => {
    const all = new Map((await flavors()).map((f) => [f.id!, f]));
    return ids.map((id) => all.get(id) ?? null);
  });

  /** Every hypervisor (admin only), listed once per request: hosts' capacity and their Placement provider ids. */
  const hypervisors = (): Promise<Hypervisor[]> => s.once('nova:hypervisors', () => nova.hypervisors());
  /** A host's aggregates by hostname: one os-aggregates call serves every host of the request. */
  const hostAggregates = s.loader<string, HostAggregate[]>('hostAggregates', async (hostnames) => {
    const all = await s.once('nova:aggregates', () => nova.aggregates());
    return hostnames.map((h) => all.filter((a) => a.hosts.includes(h)));
  });

  return { allServers, serverList, primeInstances, instancesByHost, unplaceableOnHost, instance, flavors, flavor, hypervisors, hostAggregates };
}
