// The fleet dashboard's figures per zone, computed from wide lists only — the zones and their hosts from the
// region controller, every server from Nova (all_tenants), every volume from Cinder and the storage pools'
// usage — never a per-host fan-out. CPU utilisation comes from metering separately (it has its own window).
import type { Loaders } from './loaders.ts';
import type { Flavor, FleetRecord, ZoneStatsRecord } from './domain.ts';
import { groupBy } from './batch-strategy.ts';

export async function computeFleet(loaders: Loaders): Promise<FleetRecord> {
  const [zones, servers, volumes, storages] = await Promise.all([
    loaders.zones(), loaders.allServers(), loaders.allVolumes(), loaders.storages(),
  ]);
  const hostLists = await Promise.all(zones.map((z) => loaders.hostsByZone.load(z.id)));
  // An older Nova sends only flavor ids; look those up once.
  const needsFlavors = servers.some((s) => !('name' in s.flavor));
  const flavorById = needsFlavors ? new Map((await loaders.flavors()).map((f) => [f.id, f])) : new Map<string | null, Flavor>();
  const flavorOf = (f: Flavor | { id: string }): Flavor | undefined => ('name' in f ? f : flavorById.get(f.id));

  const serversByZone = groupBy(servers.filter((s) => s.status !== 'DELETED'), (s) => s.zoneName);
  const volumesByZone = groupBy(volumes, (v) => v.disk.zoneName);
  const legacyGbByZone = new Map<number, number>();
  for (const s of storages) legacyGbByZone.set(s.zone_id, (legacyGbByZone.get(s.zone_id) ?? 0) + (s.used_gb ?? 0));

  const stats: ZoneStatsRecord[] = zones.map((zone, i) => {
    const hosts = hostLists[i];
    const zoneServers = serversByZone.get(zone.name) ?? [];
    const byStatus = groupBy(zoneServers, (s) => s.status);
    let vcpusAllocated = 0;
    let memoryMbAllocated = 0;
    for (const s of zoneServers) {
      const f = flavorOf(s.flavor);
      vcpusAllocated += f?.vcpus ?? 0;
      memoryMbAllocated += f?.ramMb ?? 0;
    }
    const cinderGb = (volumesByZone.get(zone.name) ?? []).reduce((sum, v) => sum + v.disk.sizeGb, 0);
    return {
      zone,
      hostCount: hosts.length,
      hostsOnline: hosts.filter((h) => h.status === 'ONLINE').length,
      instanceCount: zoneServers.length,
      instancesByStatus: [...byStatus].map(([status, list]) => ({ status, count: list.length })).sort((a, b) => a.status.localeCompare(b.status)),
      vcpusTotal: hosts.reduce((sum, h) => sum + h.capacity.vcpus, 0),
      vcpusAllocated,
      memoryMbTotal: hosts.reduce((sum, h) => sum + h.capacity.memoryMb, 0),
      memoryMbAllocated,
      diskGbProvisioned: cinderGb + (legacyGbByZone.get(zone.id) ?? 0),
      hostnames: hosts.map((h) => h.hostname),
    };
  });
  return { zones: stats, computedAt: new Date() };
}
