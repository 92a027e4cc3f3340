// Per-request DataLoaders: the one place where batching strategy is decided (DESIGN.md "Batching: the rules").
// Every loader's batches are dispatched by the request's BatchScheduler, so keys from parents that arrived on
// different ticks still share a batch. Wide lists (all servers, all volumes, all ports…) are memoised per
// request: once one batch has fetched a scope, later batches are served from it for free.
// Why this file is longer than most: the strategies depend on each other (disks, ports and floating IPs need
// the instances the request has seen), and keeping them side by side keeps the cost model in one place.
import DataLoader from 'dataloader';
import type { Caller, KeystoneAuth, ProjectRecord } from './keystone.ts';
import type { UpstreamClient } from './http.ts';
import type { BatchScheduler } from './batch-scheduler.ts';
import type { NovaSource } from './nova.ts';
import type { CinderSource, VolumeRecord } from './cinder.ts';
import type { GlanceSource } from './glance.ts';
import type { NeutronSource } from './neutron.ts';
import type { RegionControllerSource } from './region-controller.ts';
import type { Disk, FloatingIp, Flavor, Host, Image, Instance, Port, Zone } from './domain.ts';
import { ListMemo, SizeHints, groupBy, mapLimit } from './batch-strategy.ts';
import { NOVA_PAGE_LIMIT } from './nova.ts';
import { CINDER_PAGE_LIMIT } from './cinder.ts';
import { LEGACY_MAX_IDS } from './region-controller.ts';
import { chunkByUrlBytes } from './paginate.ts';
import type { MosaicConfig } from '../server/config.ts';

export interface LoaderDeps {
  caller: Caller;
  config: MosaicConfig;
  scheduler: BatchScheduler;
  hints: SizeHints;
  upstream: UpstreamClient;
  keystone: KeystoneAuth;
  nova: NovaSource;
  cinder: CinderSource;
  glance: GlanceSource;
  neutron: NeutronSource;
  legacy: RegionControllerSource;
}

/** A host-scoped key: Nova filters by hostname, the zone lets us choose a zone-wide list instead. */
export interface HostKey { zoneName: string; hostname: string }

const chunk = <T>(items: T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};

/** Runs `fetch` per chunk in parallel; a failed chunk fails only its own keys. */
async function perChunk<K, V>(keys: readonly K[], chunks: K[][], fetch: (chunk: K[]) => Promise<Map<K, V>>, empty: V): Promise<(V | Error)[]> {
  const results = new Map<K, V | Error>();
  await Promise.all(chunks.map(async (c) => {
    try {
      const found = await fetch(c);
      for (const k of c) results.set(k, found.get(k) ?? empty);
    } catch (err) {
      for (const k of c) results.set(k, err as Error);
    }
  }));
  return keys.map((k) => results.get(k) ?? empty);
}

export function createLoaders(d: LoaderDeps) {
  const { caller, config, hints } = d;
  const memo = new ListMemo();
  const tenant = caller.isAdmin ? 'admin' : `project:${caller.projectId}`;
  const scope = (name: string) => `${tenant}|${name}`;
  const batchScheduleFn = d.scheduler.schedule;
  const concurrency = config.batching.concurrency;
  const maxUrlBytes = config.batching.maxUrlBytes;
  /** Every instance this request has seen, so disks/ports/IPs batches know volume ids and addresses. */
  const seen = new Map<string, Instance>();
  const remember = (list: Instance[]) => {
    for (const i of list) seen.set(i.id, i);
    return list;
  };

  // --- Nova: wide lists -------------------------------------------------------------------------------
  const allServers = () => memo.get('nova:all', async () => {
    const list = remember(await d.nova.listServers(caller.isAdmin ? { all_tenants: '1' } : {}));
    hints.set(scope('nova:all'), list.length);
    for (const [zone, servers] of groupBy(list, (s) => s.zoneName)) hints.set(scope(`nova:zone:${zone}`), servers.length);
    return list;
  });
  const zoneServers = (zone: string) => memo.has('nova:all')
    ? allServers().then((all) => all.filter((s) => s.zoneName === zone))
    : memo.get(`nova:zone:${zone}`, async () => {
      const list = remember(await d.nova.listServers({ all_tenants: '1', availability_zone: zone }));
      hints.set(scope(`nova:zone:${zone}`), list.length);
      return list;
    });
  const knownZoneTotal = () => {
    let sum = 0;
    for (const z of zoneNames()) sum += hints.get(scope(`nova:zone:${z}`)) ?? 0;
    return sum;
  };
  let zoneNamesCache: string[] = [];
  const zoneNames = () => zoneNamesCache;

  /** Servers per host (admin only: `host` is an admin filter). */
  const instancesByHost = new DataLoader<HostKey, Instance[], string>(async (keys) => {
    const zones = groupBy(keys, (k) => k.zoneName);
    zoneNamesCache = [...new Set([...zoneNamesCache, ...zones.keys()])];
    const costAll = memo.has('nova:all') ? 0 : hints.pages(scope('nova:all'), NOVA_PAGE_LIMIT, knownZoneTotal());
    let costZones = 0;
    for (const z of zones.keys()) costZones += memo.has(`nova:zone:${z}`) || memo.has('nova:all') ? 0 : hints.pages(scope(`nova:zone:${z}`), NOVA_PAGE_LIMIT);
    const costHosts = keys.length;
    // Ties go to the narrower scope: fewer bytes for the same number of calls.
    if (costHosts <= costZones && costHosts <= costAll) {
      return Promise.all(keys.map((k) => memo.get(`nova:host:${k.hostname}`, async () =>
        remember(await d.nova.listServers({ all_tenants: '1', host: k.hostname }))).catch((e: Error) => e)));
    }
    const source = costZones <= costAll
      ? (zone: string) => zoneServers(zone)
      : (zone: string) => allServers().then((all) => all.filter((s) => s.zoneName === zone));
    const byZone = new Map<string, Map<string, Instance[]> | Error>();
    await Promise.all([...zones.keys()].map(async (z) => {
      try {
        byZone.set(z, groupBy(await source(z), (s) => s.hostname ?? ''));
      } catch (err) {
        byZone.set(z, err as Error);
      }
    }));
    return keys.map((k) => {
      const group = byZone.get(k.zoneName)!;
      return group instanceof Error ? group : group.get(k.hostname) ?? [];
    });
  }, { batchScheduleFn, cacheKeyFn: (k) => `${k.zoneName}\u0000${k.hostname}` });

  /** One server by id: single GETs, or the caller's whole list when that is fewer calls. */
  const instance = new DataLoader<string, Instance | null>(async (ids) => {
    const unseen = ids.filter((id) => !seen.has(id));
    if (unseen.length > 0) {
      const costAll = memo.has('nova:all') ? 0 : hints.pages(scope('nova:all'), NOVA_PAGE_LIMIT);
      if (costAll < unseen.length) await allServers();
      else {
        const found = await mapLimit(unseen, concurrency, (id) => d.nova.getServer(id).catch((e: Error) => e));
        found.forEach((f) => f && !(f instanceof Error) && seen.set(f.id, f));
        const errors = new Map(unseen.map((id, i) => [id, found[i]] as const));
        return ids.map((id) => seen.get(id) ?? (errors.get(id) instanceof Error ? errors.get(id) as Error : null));
      }
    }
    return ids.map((id) => seen.get(id) ?? null);
  }, { batchScheduleFn });

  const primeInstances = (list: Instance[]) => {
    for (const i of list) {
      seen.set(i.id, i);
      instance.prime(i.id, i);
    }
    return list;
  };

  /** Servers matching Nova filters (for `instances(filter:)`); the unfiltered list is the shared wide one. */
  const serverList = (filters: Record<string, string | string[] | undefined>) => {
    const active = Object.entries(filters).filter(([, v]) => v !== undefined && (!Array.isArray(v) || v.length > 0));
    if (active.length === 0) return allServers();
    const params = Object.fromEntries(active);
    if (caller.isAdmin) params.all_tenants = '1';
    return memo.get(`nova:list:${JSON.stringify(params)}`, async () => remember(await d.nova.listServers(params)));
  };

  // --- Cinder ---------------------------------------------------------------------------------------------
  const allVolumes = () => memo.get('cinder:all', async () => {
    const list = await d.cinder.listVolumes();
    hints.set(scope('cinder:all'), list.length);
    for (const [zone, volumes] of groupBy(list, (v) => v.disk.zoneName)) hints.set(scope(`cinder:zone:${zone}`), volumes.length);
    return list;
  });
  const zoneVolumes = (zone: string) => memo.has('cinder:all')
    ? allVolumes().then((all) => all.filter((v) => v.disk.zoneName === zone))
    : memo.get(`cinder:zone:${zone}`, async () => {
      const list = await d.cinder.listVolumes({ availability_zone: zone });
      hints.set(scope(`cinder:zone:${zone}`), list.length);
      return list;
    });
  /**
   * Cinder volumes of instances: single GETs by the volume ids Nova lists, the volumes of the instances' zones,
   * or every volume the caller may list — whichever is fewest calls. A volume attached across zones (Nova's
   * cross_az_attach) is missing from its instance's zone list and is then fetched by id.
   */
  const cinderDisksByInstance = new DataLoader<string, Disk[]>(async (instanceIds) => {
    const instances = instanceIds.map((id) => seen.get(id));
    const volumeIds = [...new Set(instances.flatMap((i) => i?.volumeIds ?? []))];
    const zones = [...new Set(instances.map((i) => i?.zoneName ?? ''))];
    const costAll = memo.has('cinder:all') ? 0 : hints.pages(scope('cinder:all'), CINDER_PAGE_LIMIT);
    const costZones = zones.includes('') ? Infinity
      : zones.reduce((sum, z) => sum + (memo.has('cinder:all') || memo.has(`cinder:zone:${z}`) ? 0 : hints.pages(scope(`cinder:zone:${z}`), CINDER_PAGE_LIMIT)), 0);
    const single = async (ids: string[]) =>
      (await mapLimit(ids, concurrency, (id) => d.cinder.getVolume(id))).filter((v): v is VolumeRecord => v !== null);
    let volumes: VolumeRecord[];
    if (volumeIds.length <= costAll && volumeIds.length <= costZones) volumes = await single(volumeIds);
    else if (costAll <= costZones) volumes = await allVolumes();
    else {
      volumes = (await Promise.all(zones.map(zoneVolumes))).flat();
      const found = new Set(volumes.map((v) => v.disk.id));
      volumes.push(...(await single(volumeIds.filter((id) => !found.has(id)))));
    }
    const byServer = new Map<string, Disk[]>();
    for (const v of volumes) {
      for (const a of v.attachedTo) {
        const disk = { ...v.disk, instanceId: a.serverId, device: a.device };
        const list = byServer.get(a.serverId);
        if (list) list.push(disk);
        else byServer.set(a.serverId, [disk]);
      }
    }
    // Device order (vdb, vdc, …) reads naturally and does not depend on the upstream's list order.
    const byDevice = (a: Disk, b: Disk) => (a.device ?? '').localeCompare(b.device ?? '');
    return instanceIds.map((id) => (byServer.get(id) ?? []).sort(byDevice));
  }, { batchScheduleFn });

  // --- Legacy region controller ----------------------------------------------------------------------------
  const legacyDisksByInstance = new DataLoader<string, Disk[]>(async (instanceIds) =>
    perChunk(instanceIds, chunk([...instanceIds], LEGACY_MAX_IDS), async (c) => groupBy(await d.legacy.disksByInstances(c), (disk) => disk.instanceId ?? ''), []),
  { batchScheduleFn });

  const zones = () => memo.get('legacy:zones', () => d.legacy.zones());
  const storages = () => memo.get('legacy:storages', () => d.legacy.storages());
  const hostsByZone = new DataLoader<number, Host[]>(async (zoneIds) =>
    mapLimit([...zoneIds], concurrency, (id) => d.legacy.hostsOfZone(id).catch((e: Error) => e)), { batchScheduleFn });
  const host = new DataLoader<number, Host | null>(async (ids) =>
    perChunk(ids, chunk([...ids], LEGACY_MAX_IDS), async (c) => new Map((await d.legacy.hostsByIds(c)).map((h) => [h.id, h])), null),
  { batchScheduleFn });

  // --- Glance -----------------------------------------------------------------------------------------------
  const image = new DataLoader<string, Image | null>(async (ids) => {
    const chunks = chunkByUrlBytes([...ids], d.glance.urlPrefixBytes(), (id) => encodeURIComponent(id).length + 1, maxUrlBytes);
    const results = await perChunk(ids, chunks, async (c) => new Map((await d.glance.imagesByIds(c)).map((i) => [i.id, i] as const)), null as Image | null);
    // Hidden images (os_hidden) never appear in lists; fetch the few a list did not return one by one.
    const missing = ids.filter((_, i) => results[i] === null);
    if (missing.length > 0) {
      const single = await mapLimit(missing, concurrency, (id) => d.glance.getImage(id).catch((e: Error) => e));
      missing.forEach((id, i) => (results[ids.indexOf(id)] = single[i]));
    }
    return results;
  }, { batchScheduleFn });

  // --- Neutron ----------------------------------------------------------------------------------------------
  const deviceChunks = (ids: string[], collection: 'ports' | 'floatingips', key: string) =>
    chunkByUrlBytes(ids, d.neutron.urlFor(collection).length, (id) => key.length + 2 + encodeURIComponent(id).length, maxUrlBytes);
  const allPorts = () => memo.get('neutron:ports', () => d.neutron.portsByDevice());
  const portsByInstance = new DataLoader<string, Port[]>(async (instanceIds) => {
    const chunks = deviceChunks([...instanceIds], 'ports', 'device_id');
    // Neutron does not page by default, so the wide list is one call: use it once chunks would be more.
    if (memo.has('neutron:ports') || chunks.length > 1) {
      const byDevice = groupBy(await allPorts(), (p) => p.deviceId);
      return instanceIds.map((id) => byDevice.get(id) ?? []);
    }
    return perChunk(instanceIds, chunks, async (c) => groupBy(await d.neutron.portsByDevice(c), (p) => p.deviceId), []);
  }, { batchScheduleFn });

  /**
   * Floating IPs of instances. Nova's `addresses` already names each floating address, so they are looked up
   * by address without waiting for anything else. Each IP is then matched to the instance through Neutron's own
   * `port_details.device_id` (Rocky and later), so a stale Nova cache cannot attach an IP to the wrong instance;
   * an older Neutron without port_details costs a ports lookup for the join instead.
   */
  const floatingIpsByInstance = new DataLoader<string, FloatingIp[]>(async (instanceIds) => {
    const addresses = [...new Set(instanceIds.flatMap((id) => seen.get(id)?.floatingAddresses ?? []))];
    if (addresses.length === 0) return instanceIds.map(() => []);
    const chunks = chunkByUrlBytes(addresses, d.neutron.urlFor('floatingips').length, (a) => 'floating_ip_address'.length + 2 + a.length, maxUrlBytes);
    const fips = memo.has('neutron:fips') || chunks.length > 1
      ? await memo.get('neutron:fips', () => d.neutron.floatingIpsByPort())
      : await d.neutron.floatingIpsByAddress(chunks[0]);
    if (fips.every((f) => f.deviceId !== undefined)) {
      const byDevice = groupBy(fips.filter((f) => f.deviceId), (f) => f.deviceId!);
      return instanceIds.map((id) => byDevice.get(id) ?? []);
    }
    const ports = await portsByInstance.loadMany(instanceIds);
    const byPort = groupBy(fips.filter((f) => f.portId), (f) => f.portId!);
    return instanceIds.map((id, i) => {
      const own = ports[i];
      return own instanceof Error ? own : own.flatMap((p) => byPort.get(p.id) ?? []);
    });
  }, { batchScheduleFn });

  // --- Lookups by id, for node(id) ----------------------------------------------------------------------------
  const volume = new DataLoader<string, Disk | null>(async (ids) => {
    if (memo.has('cinder:all') || hints.pages(scope('cinder:all'), CINDER_PAGE_LIMIT) < ids.length) {
      const all = new Map((await allVolumes()).map((v) => [v.disk.id, v.disk]));
      return ids.map((id) => all.get(id) ?? null);
    }
    return mapLimit([...ids], concurrency, (id) => d.cinder.getVolume(id).then((v): Disk | null | Error => v?.disk ?? null, (e: Error) => e));
  }, { batchScheduleFn });
  const legacyDisk = new DataLoader<number, Disk | null>(async (ids) =>
    mapLimit([...ids], concurrency, (id) => d.legacy.disk(id).catch((e: Error) => e)), { batchScheduleFn });
  const idChunks = (ids: string[], collection: 'ports' | 'floatingips') =>
    chunkByUrlBytes(ids, d.neutron.urlFor(collection).length, (id) => 4 + encodeURIComponent(id).length, maxUrlBytes);
  const port = new DataLoader<string, Port | null>(async (ids) =>
    perChunk(ids, idChunks([...ids], 'ports'), async (c) => new Map((await d.neutron.portsByIds(c)).map((p) => [p.id, p] as const)), null as Port | null),
  { batchScheduleFn });
  const floatingIp = new DataLoader<string, FloatingIp | null>(async (ids) =>
    perChunk(ids, idChunks([...ids], 'floatingips'), async (c) => new Map((await d.neutron.floatingIpsByIds(c)).map((f) => [f.id, f] as const)), null as FloatingIp | null),
  { batchScheduleFn });
  /** A host by its hostname, through its zone's host list (the CMDB has no hostname filter). */
  const hostByName = async (zoneName: string, hostname: string): Promise<Host | null> => {
    const zone = (await zones()).find((z) => z.name === zoneName);
    if (!zone) return null;
    return (await hostsByZone.load(zone.id)).find((h) => h.hostname === hostname) ?? null;
  };

  // --- Keystone and Nova lookups ----------------------------------------------------------------------------
  const projects = () => memo.get('keystone:projects', () => d.keystone.projects(d.upstream, caller));
  const project = new DataLoader<string, ProjectRecord | null>(async (ids) => {
    const all = new Map((await projects()).map((p) => [p.id, p]));
    return ids.map((id) => all.get(id) ?? null);
  }, { batchScheduleFn });
  const flavors = () => memo.get('nova:flavors', () => d.nova.flavors());
  const flavor = new DataLoader<string, Flavor | null>(async (ids) => {
    const all = new Map((await flavors()).map((f) => [f.id!, f]));
    return ids.map((id) => all.get(id) ?? null);
  }, { batchScheduleFn });

  return {
    memo, seen, primeInstances, allServers, serverList, allVolumes, zones, storages, flavors, projects,
    instancesByHost, instance, cinderDisksByInstance, legacyDisksByInstance, hostsByZone, host, image, portsByInstance,
    floatingIpsByInstance, project, flavor, volume, legacyDisk, port, floatingIp, hostByName,
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
export type { Zone };
