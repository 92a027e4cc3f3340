// Neutron's per-request loaders. Repeated filters are OR, so ports by device and floating IPs by address are
// chunked under the URL budget; Neutron does not page by default, so the wide list is a single call and wins
// as soon as the chunks would be more than one.
import type { FloatingIp, Port } from '../../core/domain.ts';
import { groupBy } from '../../core/collections.ts';
import { chunkByUrlBytes } from '../http/pagination.ts';
import { choose } from '../planner/choose.ts';
import { perChunk } from '../planner/per-chunk.ts';
import type { RequestState } from '../planner/request-state.ts';
import type { NeutronSource } from './source.ts';

/** What a floating-IP batch needs of an instance: the floating addresses Nova reports for it. */
export interface InstanceAddressesKey {
  id: string;
  floatingAddresses: string[];
}

export function neutronLoaders(neutron: NeutronSource, s: RequestState) {
  const { maxUrlBytes } = s.batching;
  /** Chunks of `values` for repeated `key=value` filters on a collection, each URL under the budget. */
  const chunksOf = async (values: string[], collection: 'ports' | 'floatingips', key: string) =>
    chunkByUrlBytes(values, (await neutron.urlFor(collection)).length, (v) => key.length + 2 + encodeURIComponent(v).length, maxUrlBytes);
  const allPorts = () => s.once('neutron:ports', () => neutron.portsByDevice());
  const allFloatingIps = () => s.once('neutron:fips', () => neutron.floatingIpsByPort());

  const portsByInstance = s.loader<string, Port[]>('portsByInstance', async (instanceIds) => {
    const chunks = await chunksOf([...instanceIds], 'ports', 'device_id');
    return choose<(Port[] | Error)[]>([
      {
        name: 'device-chunks',
        calls: chunks.length,
        run: () => perChunk(instanceIds, chunks, async (c) => groupBy(await neutron.portsByDevice(c), (p) => p.deviceId), []),
      },
      {
        name: 'all-ports',
        calls: s.has('neutron:ports') ? 0 : 1,
        run: async () => {
          const byDevice = groupBy(await allPorts(), (p) => p.deviceId);
          return instanceIds.map((id) => byDevice.get(id) ?? []);
        },
      },
    ]).run();
  });

  /**
   * Floating IPs of instances. Nova's `addresses` already names each floating address, so they are looked up
   * by address without waiting for anything else. Each IP is then matched to the instance through Neutron's own
   * `port_details.device_id` (Rocky and later), so a stale Nova cache cannot attach an IP to the wrong instance;
   * an older Neutron without port_details costs a ports lookup for the join instead.
   */
  const floatingIpsByInstance = s.loader<InstanceAddressesKey, FloatingIp[], string>(
    'floatingIpsByInstance',
    async (instances) => {
      const addresses = [...new Set(instances.flatMap((i) => i.floatingAddresses))];
      if (addresses.length === 0) return instances.map(() => []);
      const chunks = await chunksOf(addresses, 'floatingips', 'floating_ip_address');
      const fips = await choose<FloatingIp[]>([
        {
          name: 'address-chunks',
          calls: chunks.length,
          run: async () => (await Promise.all(chunks.map((c) => neutron.floatingIpsByAddress(c)))).flat(),
        },
        { name: 'all-floating-ips', calls: s.has('neutron:fips') ? 0 : 1, run: allFloatingIps },
      ]).run();
      if (fips.every((f) => f.deviceId !== undefined)) {
        const byDevice = groupBy(
          fips.filter((f) => f.deviceId),
          (f) => f.deviceId!,
        );
        return instances.map((i) => byDevice.get(i.id) ?? []);
      }
      const ports = await portsByInstance.loadMany(instances.map((i) => i.id));
      const byPort = groupBy(
        fips.filter((f) => f.portId),
        (f) => f.portId!,
      );
      return instances.map((_, n) => {
        const own = ports[n];
        return own instanceof Error ? own : own.flatMap((p) => byPort.get(p.id) ?? []);
      });
    },
    { cacheKeyFn: (i) => i.id },
  );

  /** Ports and floating IPs by id (for node(id)): `id=` filters, chunked. */
  const byId = <V extends { id: string }>(name: string, collection: 'ports' | 'floatingips', fetch: (ids: string[]) => Promise<V[]>) =>
    s.loader<string, V | null>(name, async (ids) =>
      perChunk(
        ids,
        await chunksOf([...ids], collection, 'id'),
        async (c) => new Map((await fetch(c)).map((v) => [v.id, v] as const)),
        null as V | null,
      ),
    );
  const port = byId<Port>('port', 'ports', (ids) => neutron.portsByIds(ids));
  const floatingIp = byId<FloatingIp>('floatingIp', 'floatingips', (ids) => neutron.floatingIpsByIds(ids));

  return { portsByInstance, floatingIpsByInstance, port, floatingIp };
}
