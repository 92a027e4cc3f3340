// Cinder's per-request loaders and their candidate plans. Cinder has no filter for many ids or many servers, so
// the volumes of a batch of instances come from per-id GETs (the ids Nova lists in each server), the volume
// lists of the instances' zones, or every volume the caller may list — whichever choose() finds cheapest.
import type { Disk } from '../../core/domain.ts';
import { groupBy, mapLimit } from '../../core/collections.ts';
import { choose } from '../planner/choose.ts';
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
      const list = await cinder.listVolumes();
      s.learn('cinder:all', list.length);
      for (const [zone, volumes] of groupBy(list, (v) => v.disk.zoneName)) s.learn(`cinder:zone:${zone}`, volumes.length);
      return list;
    });
  const zoneVolumes = (zone: string) =>
    s.has('cinder:all')
      ? allVolumes().then((all) => all.filter((v) => v.disk.zoneName === zone))
      : s.once(`cinder:zone:${zone}`, async () => {
          const list = await cinder.listVolumes({ availability_zone: zone });
          s.learn(`cinder:zone:${zone}`, list.length);
          return list;
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
      const plan = choose<VolumeRecord[]>([
        { name: 'per-id', calls: volumeIds.length, run: () => byIds(volumeIds) },
        { name: 'all-volumes', calls: s.listCalls('cinder:all', CINDER_PAGE_LIMIT), run: allVolumes },
        {
          name: 'zone-lists',
          calls: zones.includes('')
            ? Infinity
            : s.has('cinder:all')
              ? 0
              : zones.reduce((sum, z) => sum + s.listCalls(`cinder:zone:${z}`, CINDER_PAGE_LIMIT), 0),
          run: async () => {
            const volumes = (await Promise.all(zones.map(zoneVolumes))).flat();
            const found = new Set(volumes.map((v) => v.disk.id));
            return [...volumes, ...(await byIds(volumeIds.filter((id) => !found.has(id))))];
          },
        },
      ]);
      const byServer = new Map<string, Disk[]>();
      for (const v of await plan.run()) {
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

  /** A volume by id (for node(id)): per-id GETs, or the caller's whole list when that is fewer calls. */
  const volume = s.loader<string, Disk | null>('volume', async (ids) =>
    choose<(Disk | null | Error)[]>([
      {
        name: 'per-id',
        calls: ids.length,
        run: () =>
          mapLimit([...ids], concurrency, (id) =>
            cinder.getVolume(id).then(
              (v): Disk | null => v?.disk ?? null,
              (e: Error) => e,
            ),
          ),
      },
      {
        name: 'all-volumes',
        calls: s.listCalls('cinder:all', CINDER_PAGE_LIMIT),
        run: async () => {
          const all = new Map((await allVolumes()).map((v) => [v.disk.id, v.disk]));
          return ids.map((id) => all.get(id) ?? null);
        },
      },
    ]).run(),
  );

  return { allVolumes, cinderDisksByInstance, volume };
}
