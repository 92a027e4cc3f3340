// Neutron's per-request loaders. Repeated filters are OR, so ports by device and floating IPs by address are
// chunked under the URL budget (the chunks run in parallel: one round); Neutron does not page by default, so the
// wide list is a single call, chosen when its extra records cost less than the chunks' extra calls.
import type { FloatingIp, Network, Port, SecurityGroup, Subnet } from '../../core/domain.ts';
import { groupBy } from '../../core/collections.ts';
import { chunkByUrlBytes } from '../http/pagination.ts';
import { UNKNOWN_LIST_RECORDS } from '../planner/cost-model.ts';
import { perChunk } from '../planner/per-chunk.ts';
import type { RequestState } from '../planner/request-state.ts';
import type { NeutronCollection, NeutronSource } from './source.ts';

/** What a floating-IP batch needs of an instance: the floating addresses Nova reports for it. */
export interface InstanceAddressesKey {
  id: string;
  floatingAddresses: string[];
}

export function neutronLoaders(neutron: NeutronSource, s: RequestState) {
  const { maxUrlBytes } = s.batching;
  /** Chunks of `values` for repeated `key=value` filters on a collection, each URL under the budget. */
  const chunksOf = async (values: string[], collection: NeutronCollection, key: string) =>
    chunkByUrlBytes(values, (await neutron.urlFor(collection)).length, (v) => key.length + 2 + encodeURIComponent(v).length, maxUrlBytes);
  const learned =
    <T>(key: string, fetch: () => Promise<T[]>) =>
    () =>
      s.once(key, async () => {
        const list = await fetch();
        s.learn(key, list.length);
        return list;
      });
  const allPorts = learned('neutron:ports', () => neutron.portsByDevice());
  const allFloatingIps = learned('neutron:fips', () => neutron.floatingIpsByPort());

  const portsByInstance = s.loader<string, Port[]>('portsByInstance', async (instanceIds) => {
    const chunks = await chunksOf([...instanceIds], 'ports', 'device_id');
    return s.choose<(Port[] | Error)[]>('portsByInstance', [
      {
        // About one port per instance.
        name: 'device-chunks',
        service: 'neutron',
        kind: 'ports',
        calls: chunks.length,
        rounds: 1,
        records: instanceIds.length,
        run: () => perChunk(instanceIds, chunks, async (c) => groupBy(await neutron.portsByDevice(c), (p) => p.deviceId), []),
      },
      {
        name: 'all-ports',
        service: 'neutron',
        kind: 'ports',
        calls: s.has('neutron:ports') ? 0 : 1,
        rounds: s.has('neutron:ports') ? 0 : 1,
        records: s.listRecords('neutron:ports', UNKNOWN_LIST_RECORDS),
        run: async () => {
          const byDevice = groupBy(await allPorts(), (p) => p.deviceId);
          return instanceIds.map((id) => byDevice.get(id) ?? []);
        },
      },
    ]);
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
      const fips = await s.choose<FloatingIp[]>('floatingIpsByInstance', [
        {
          name: 'address-chunks',
          service: 'neutron',
          kind: 'floatingips',
          calls: chunks.length,
          rounds: 1,
          records: addresses.length,
          run: async () => (await Promise.all(chunks.map((c) => neutron.floatingIpsByAddress(c)))).flat(),
        },
        {
          name: 'all-floating-ips',
          service: 'neutron',
          kind: 'floatingips',
          calls: s.has('neutron:fips') ? 0 : 1,
          rounds: s.has('neutron:fips') ? 0 : 1,
          records: s.listRecords('neutron:fips', UNKNOWN_LIST_RECORDS),
          run: allFloatingIps,
        },
      ]);
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

  /** Ports, floating IPs, networks, subnets and security groups by id (node(id), Port.network…): `id=` filters, chunked. */
  const byId = <V extends { id: string }>(name: string, collection: NeutronCollection, fetch: (ids: string[]) => Promise<V[]>) =>
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
  // One call per level: every Port.network (or FixedIp.subnet) of a level lands in one batch.
  const network = byId<Network>('network', 'networks', (ids) => neutron.networksByIds(ids));
  const subnet = byId<Subnet>('subnet', 'subnets', (ids) => neutron.subnetsByIds(ids));
  const securityGroup = byId<SecurityGroup>('securityGroup', 'security_groups', (ids) => neutron.securityGroupsByIds(ids));

  /** Root lists (`networks`, `securityGroups`): the first `limit` Neutron shows the caller, once per request and filter. */
  const networkList = (filters: Record<string, string | undefined>, limit: number) =>
    s.once(`neutron:networks:${JSON.stringify(filters)}:${limit}`, async () => {
      const list = await neutron.networks(filters, limit);
      for (const n of list) network.prime(n.id, n);
      return list;
    });
  const securityGroupList = (filters: Record<string, string | undefined>, limit: number) =>
    s.once(`neutron:security_groups:${JSON.stringify(filters)}:${limit}`, () => neutron.securityGroups(filters, limit));

  return { portsByInstance, floatingIpsByInstance, port, floatingIp, network, subnet, securityGroup, networkList, securityGroupList };
}
