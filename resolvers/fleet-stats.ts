// The fleet dashboard's figures per zone: an aggregate over the loaders, computed from wide lists only — the
// zones and their hosts from the region controller, every server from Nova (all_tenants), each zone's volume
// total from Cinder (a `volumes/summary` per zone where Cinder has it, else its volume list: cinder/loaders.ts
// volumeGbByZone) and the storage pools' usage — never a per-host fan-out. CPU utilisation comes from metering separately
// (it has its own window; resolvers/fleet.ts). Each figure depends on one or two upstreams; when one fails, only
// the figures it feeds hold its error, and both runtimes raise an Error value at that field's path. A new figure
// is a field in schema/metrics.graphql and a line here (record type and computation).
import type { Loaders } from '../datasources/index.ts';
import type { Flavor, Host, Instance, Zone } from '../core/domain.ts';
import { groupBy } from '../core/collections.ts';
import { partialRecordError } from './partial-record.ts';

type Settled<T> = T | Error;

/** Dashboard figures of one zone; a figure whose upstream failed holds that Error instead. */
export interface ZoneStatsRecord {
  zone: Zone;
  hostCount: number | Error;
  hostsOnline: number | Error;
  instanceCount: number | Error;
  instancesByStatus: { status: string; count: number }[] | Error;
  vcpusTotal: number | Error;
  vcpusAllocated: number | Error;
  memoryMbTotal: number | Error;
  memoryMbAllocated: number | Error;
  diskGbProvisioned: number | Error;
  /** Hostnames of the zone's hosts, for the metering lookup of cpuUtilAvg (the mean of the hosts' averages). */
  hostnames: string[] | Error;
}

/** `partial` when some upstream failed: such a result is answered but not cached. */
export interface FleetRecord {
  zones: ZoneStatsRecord[];
  computedAt: Date;
  partial: boolean;
}

const settle = <T>(p: Promise<T>): Promise<Settled<T>> => p.catch((e: Error) => e);
const ok = <T>(v: Settled<T>): v is T => !(v instanceof Error);
/** Applies fn when every input is a value; otherwise the first error. */
function derive<T>(inputs: Settled<unknown>[], fn: () => T): Settled<T> {
  const failed = inputs.find((i) => i instanceof Error) as Error | undefined;
  return failed ?? fn();
}

export async function computeFleet(loaders: Loaders): Promise<FleetRecord> {
  // Without the zone list there is nothing to lay the figures out by: that one failure fails `fleet`.
  const [zones, listed, storages] = await Promise.all([loaders.zones(), settle(loaders.allServers()), settle(loaders.storages())]);
  const [volumeGb, ...hostLists] = await Promise.all([
    settle(loaders.volumeGbByZone(zones.map((z) => z.name))),
    ...zones.map((z) => settle(loaders.hostsByZone.load(z.id))),
  ]);
  // A down cell's servers are partial records without zone or flavor (README "Partial records"): figures counted
  // from servers would be wrong, so they fail instead.
  const servers: Settled<Instance[]> =
    ok(listed) && listed.some((s) => s.partial) ? partialRecordError('the zone and flavor of some servers') : listed;
  // An older Nova sends only flavor ids; look those up once.
  const needsFlavors = ok(servers) && servers.some((s) => s.flavor && !('name' in s.flavor));
  const flavors = needsFlavors ? await settle(loaders.flavors()) : [];
  const flavorById = ok(flavors) ? new Map(flavors.map((f) => [f.id, f])) : new Map<string | null, Flavor>();
  const flavorOf = (f: Flavor | { id: string } | null): Flavor | undefined => (!f ? undefined : 'name' in f ? f : flavorById.get(f.id));

  const serversByZone = ok(servers)
    ? groupBy(
        servers.filter((s) => s.status !== 'DELETED'),
        (s) => s.zoneName,
      )
    : new Map<string | null, Instance[]>();
  const legacyGbByZone = new Map<number, number>();
  if (ok(storages)) for (const s of storages) legacyGbByZone.set(s.zoneId, (legacyGbByZone.get(s.zoneId) ?? 0) + s.usedGb);

  const stats: ZoneStatsRecord[] = zones.map((zone, i) => {
    const hosts = hostLists[i];
    const zoneServers = serversByZone.get(zone.name) ?? [];
    const onHosts = (fn: (h: Host[]) => number) => derive([hosts], () => fn(hosts as Host[]));
    const allocated = (pick: (f: Flavor) => number) =>
      derive([servers, flavors], () => zoneServers.reduce((sum, s) => sum + (pick(flavorOf(s.flavor) ?? ({} as Flavor)) ?? 0), 0));
    return {
      zone,
      hostCount: onHosts((h) => h.length),
      hostsOnline: onHosts((h) => h.filter((x) => x.status === 'ONLINE').length),
      instanceCount: derive([servers], () => zoneServers.length),
      instancesByStatus: derive([servers], () =>
        [...groupBy(zoneServers, (s) => s.status)]
          .map(([status, list]) => ({ status, count: list.length }))
          .sort((a, b) => a.status.localeCompare(b.status)),
      ),
      vcpusTotal: onHosts((h) => h.reduce((sum, x) => sum + x.capacity.vcpus, 0)),
      vcpusAllocated: allocated((f) => f.vcpus),
      memoryMbTotal: onHosts((h) => h.reduce((sum, x) => sum + x.capacity.memoryMb, 0)),
      memoryMbAllocated: allocated((f) => f.ramMb),
      diskGbProvisioned: derive(
        [volumeGb, storages],
        () => ((volumeGb as Map<string, number>).get(zone.name) ?? 0) + (legacyGbByZone.get(zone.id) ?? 0),
      ),
      hostnames: derive([hosts], () => (hosts as Host[]).map((h) => h.hostname)),
    };
  });
  const partial = [servers, volumeGb, storages, flavors, ...hostLists].some((v) => v instanceof Error);
  return { zones: stats, computedAt: new Date(), partial };
}
