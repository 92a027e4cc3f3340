// Cinder's per-request loaders and their candidate plans. Cinder has no filter for many ids or many servers, so
// the volumes of a batch of instances come from per-id GETs (the ids Nova lists in each server), the volume
// lists of the instances' zones, or every volume the caller may list — whichever is expected to finish soonest
// (planner/cost-model.ts: a few GETs in one parallel round beat an 800 KB list; hundreds of them do not).
import type { Disk } from '../../core/domain.ts';
import { groupBy, mapLimit } from '../../core/collections.ts';
import { UNKNOWN_LIST_RECORDS } from '../planner/cost-model.ts';
import type { RequestState } from '../planner/request-state.ts';
import { CINDER_PAGE_LIMIT, type CinderSource } from './source.ts';
import type { VolumeRecord } from './map.ts';

/** What a disks batch needs of an instance: Nova's server carries its zone and attached volume ids. */
export interface InstanceVolumesKey {
  id: string;
  zoneName: string | null;
  volumeIds: string[];
}

/** Device order (vdb, vdc, …) reads naturally and does not depend on the upstream's list order. */
const byDevice = (a: Disk, b: Disk) => (a.device ?? '').localeCompare(b.device ?? '');

export function cinderLoaders(cinder: CinderSource, s: RequestState) {
  const { concurrency } = s.batching;

  const allVolumes = () =>
    s.once('cinder:all', async () => {
      const list = await cinder.listVolumes({}, s.known('cinder:all'));
      s.learn('cinder:all', list.length);
      for (const [zone, volumes] of groupBy(list, (v) => v.disk.zoneName)) s.learn(`cinder:zone:${zone}`, volumes.length);
      return list;
    });
  const zoneVolumes = (zone: string) =>
    s.has('cinder:all')
      ? allVolumes().then((all) => all.filter((v) => v.disk.zoneName === zone))
      : s.once(`cinder:zone:${zone}`, async () => {
          const list = await cinder.listVolumes({ availability_zone: zone }, s.known(`cinder:zone:${zone}`));
          s.learn(`cinder:zone:${zone}`, list.length);
          return list;
        });
  /** What reading every volume the caller may list costs: nothing more once this request has it. */
  const allVolumesCost = () => ({
    name: 'all-volumes',
    service: 'cinder',
    kind: 'volumes',
    calls: s.listCalls('cinder:all', CINDER_PAGE_LIMIT),
    rounds: s.listRounds('cinder:all', CINDER_PAGE_LIMIT, true),
    records: s.listRecords('cinder:all', UNKNOWN_LIST_RECORDS),
  });
  const byIds = async (ids: string[]) =>
    (await mapLimit(ids, concurrency, (id) => cinder.getVolume(id))).filter((v): v is VolumeRecord => v !== null);

  /**
   * Cinder volumes of instances. A volume attached across zones (Nova's cross_az_attach) is missing from its
   * instance's zone list and is then fetched by id.
   */
  const cinderDisksByInstance = s.loader<InstanceVolumesKey, Disk[], string>(
    'cinderDisksByInstance',
    async (instances) => {
      const volumeIds = [...new Set(instances.flatMap((i) => i.volumeIds))];
      const zones = [...new Set(instances.map((i) => i.zoneName ?? ''))];
      const zonePages = zones.includes('')
        ? [Infinity]
        : s.has('cinder:all')
          ? [0]
          : zones.map((z) => s.listCalls(`cinder:zone:${z}`, CINDER_PAGE_LIMIT));
      const volumes = await s.choose<VolumeRecord[]>('cinderDisksByInstance', [
        {
          name: 'per-id',
          service: 'cinder',
          kind: 'volume',
          calls: volumeIds.length,
          rounds: s.perKeyRounds(volumeIds.length),
          records: volumeIds.length,
          run: () => byIds(volumeIds),
        },
        {
          ...allVolumesCost(),
          run: allVolumes,
        },
        {
          // The zones' lists in parallel: as many rounds as the longest zone's pages.
          name: 'zone-lists',
          service: 'cinder',
          kind: 'volumes',
          calls: zonePages.reduce((a, b) => a + b, 0),
          rounds: Math.max(...zonePages),
          records: s.has('cinder:all') ? 0 : zones.reduce((sum, z) => sum + s.listRecords(`cinder:zone:${z}`, UNKNOWN_LIST_RECORDS), 0),
          run: async () => {
            const volumes = (await Promise.all(zones.map(zoneVolumes))).flat();
            const found = new Set(volumes.map((v) => v.disk.id));
            return [...volumes, ...(await byIds(volumeIds.filter((id) => !found.has(id))))];
          },
        },
      ]);
      const byServer = new Map<string, Disk[]>();
      for (const v of volumes) {
        for (const a of v.attachedTo) {
          const disk = { ...v.disk, instanceId: a.serverId, device: a.device };
          const list = byServer.get(a.serverId);
          if (list) list.push(disk);
          else byServer.set(a.serverId, [disk]);
        }
      }
      return instances.map((i) => (byServer.get(i.id) ?? []).sort(byDevice));
    },
    { cacheKeyFn: (i) => i.id },
  );

  /** A volume by id (for node(id)): per-id GETs, or the caller's whole list when that is expected sooner. */
  const volume = s.loader<string, Disk | null>('volume', async (ids) =>
    s.choose<(Disk | null | Error)[]>('volume', [
      {
        name: 'per-id',
        service: 'cinder',
        kind: 'volume',
        calls: ids.length,
        rounds: s.perKeyRounds(ids.length),
        records: ids.length,
        run: () =>
          mapLimit([...ids], concurrency, (id) =>
            cinder.getVolume(id).then(
              (v): Disk | null => v?.disk ?? null,
              (e: Error) => e,
            ),
          ),
      },
      {
        ...allVolumesCost(),
        run: async () => {
          const all = new Map((await allVolumes()).map((v) => [v.disk.id, v.disk]));
          return ids.map((id) => all.get(id) ?? null);
        },
      },
    ]),
  );

  /** The volume types the caller may see (one small unpaged list per request; `volumeTypes`, VolumeType node ids). */
  const volumeTypes = () => s.once('cinder:types', () => cinder.volumeTypes());

  /**
   * The total size in GB of each zone's volumes (the dashboard's provisioned disk): one `volumes/summary` per
   * zone (3.12+, a few dozen bytes each), or the volumes listed — whichever is expected sooner; the list wins when
   * this request has it already or Cinder is older.
   */
  const volumeGbByZone = (zones: readonly string[]): Promise<Map<string, number>> =>
    s.once(`cinder:gb-by-zone:${zones.join('\n')}`, async () => {
      const summaries = await cinder.hasSummary();
      return s.choose<Map<string, number>>('volumeGbByZone', [
        {
          name: 'zone-summaries',
          service: 'cinder',
          kind: 'volume-summary',
          calls: summaries ? zones.length : Infinity,
          rounds: s.perKeyRounds(zones.length),
          records: zones.length,
          run: async () => {
            const sizes = await mapLimit([...zones], concurrency, async (zone) => (await cinder.volumeSummary({ availability_zone: zone })).sizeGb);
            return new Map(zones.map((z, i) => [z, sizes[i]]));
          },
        },
        {
          ...allVolumesCost(),
          run: async () => {
            const gb = new Map(zones.map((z) => [z, 0]));
            for (const v of await allVolumes()) {
              const zone = v.disk.zoneName;
              if (zone !== null && gb.has(zone)) gb.set(zone, gb.get(zone)! + v.disk.sizeGb);
            }
            return gb;
          },
        },
      ]);
    });

  return { allVolumes, cinderDisksByInstance, volume, volumeTypes, volumeGbByZone };
}
