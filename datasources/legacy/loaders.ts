// The legacy region controller's per-request loaders. It takes `ids=` and `instance_uuids=` lists of up to 50,
// so those batches are chunks of 50 in parallel; hosts by zone have no multi-zone filter, so they are per-zone
// calls under the concurrency cap; zones and storage pools are one list each per request.
import type { Disk, Host } from '../../core/domain.ts';
import { chunk, groupBy, mapLimit } from '../../core/collections.ts';
import { perChunk } from '../planner/per-chunk.ts';
import type { RequestState } from '../planner/request-state.ts';
import { LEGACY_MAX_IDS, type RegionControllerSource } from './source.ts';

export function legacyLoaders(legacy: RegionControllerSource, s: RequestState) {
  const { concurrency } = s.batching;
  // Asked for directly by resolvers, beside the level's batches: started at the level's check so they never hold
  // those batches back a round (planner/scheduler.ts soon()).
  const zones = () => s.once('legacy:zones', () => s.scheduler.soon(() => legacy.zones()));
  const storages = () => s.once('legacy:storages', () => s.scheduler.soon(() => legacy.storages()));

  const hostsByZone = s.loader<number, Host[]>(
    'hostsByZone',
    async (zoneIds) => mapLimit([...zoneIds], concurrency, (id) => legacy.hostsOfZone(id).catch((e: Error) => e)),
    { perKey: true },
  );

  const host = s.loader<number, Host | null>('host', async (ids) =>
    perChunk(ids, chunk(ids, LEGACY_MAX_IDS), async (c) => new Map((await legacy.hostsByIds(c)).map((h) => [h.id, h])), null),
  );

  const legacyDisksByInstance = s.loader<string, Disk[]>('legacyDisksByInstance', async (instanceIds) =>
    perChunk(instanceIds, chunk(instanceIds, LEGACY_MAX_IDS), async (c) => groupBy(await legacy.disksByInstances(c), (d) => d.instanceId ?? ''), []),
  );

  const legacyDisk = s.loader<number, Disk | null>(
    'legacyDisk',
    async (ids) => mapLimit([...ids], concurrency, (id) => legacy.disk(id).catch((e: Error) => e)),
    { perKey: true },
  );

  /** A host by its hostname, through its zone's host list (the CMDB has no hostname filter). */
  const hostByName = async (zoneName: string, hostname: string): Promise<Host | null> => {
    const zone = (await zones()).find((z) => z.name === zoneName);
    if (!zone) return null;
    return (await hostsByZone.load(zone.id)).find((h) => h.hostname === hostname) ?? null;
  };

  return { zones, storages, hostsByZone, host, legacyDisksByInstance, legacyDisk, hostByName };
}
