// Neutron subnets, derived from the seed's networks (each has one IPv4 subnet: its `subnetId` and `cidr`), in the
// JSON of the api-ref's subnets-list-response.json: https://docs.openstack.org/api-ref/network/v2/#list-subnets
// Gateway is the CIDR's first address, the allocation pool the rest but the last (Neutron's defaults for a subnet
// created with only a CIDR). Visibility follows the network's: own, shared or external networks' subnets.
import type { Cloud, Network } from '../seed/types.ts';
import { bool, int, neutronTime, projectAttrs, str, type ResourceDef } from './serialize.ts';

export interface Subnet {
  id: string;
  name: string;
  projectId: string;
  network: Network;
  cidr: string;
  gatewayIp: string;
  pool: { start: string; end: string };
  createdAt: Date;
}

const ipToInt = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
const intToIp = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');

function subnetOf(n: Network): Subnet {
  const [base, bits] = n.cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  const first = ipToInt(base);
  return {
    id: n.subnetId,
    name: `${n.name}-subnet`,
    projectId: n.projectId,
    network: n,
    cidr: n.cidr,
    gatewayIp: intToIp(first + 1),
    pool: { start: intToIp(first + 2), end: intToIp(first + size - 2) },
    createdAt: n.createdAt,
  };
}

const derived = new WeakMap<Cloud, { of: readonly Network[]; length: number; items: Subnet[] }>();
/** One Subnet object per network, rebuilt only when the networks array changes (stable for the sorted view). */
function subnets(cloud: Cloud): readonly Subnet[] {
  const cached = derived.get(cloud);
  if (cached && cached.of === cloud.networks && cached.length === cloud.networks.length) return cached.items;
  const items = cloud.networks.map(subnetOf);
  derived.set(cloud, { of: cloud.networks, length: cloud.networks.length, items });
  return items;
}

export const SUBNETS: ResourceDef<Subnet> = {
  collection: 'subnets',
  member: 'subnet',
  items: subnets,
  visible: (s, ctx) => ctx.caller.isAdmin || s.projectId === ctx.caller.projectId || s.network.shared || s.network.external,
  attrs: {
    id: str((s) => s.id),
    name: str((s) => s.name),
    ...projectAttrs<Subnet>(),
    network_id: str((s) => s.network.id),
    cidr: str((s) => s.cidr),
    gateway_ip: str((s) => s.gatewayIp),
    ip_version: int(() => 4),
    enable_dhcp: bool((s) => !s.network.external),
    description: str(() => ''),
    revision_number: int(() => 2),
    segment_id: str(() => null),
    subnetpool_id: str(() => null),
    ipv6_address_mode: str(() => null),
    ipv6_ra_mode: str(() => null),
    created_at: str((s) => neutronTime(s.createdAt)),
    updated_at: str((s) => neutronTime(s.createdAt)),
  },
  serialize: (s) => ({
    name: s.name,
    enable_dhcp: !s.network.external,
    network_id: s.network.id,
    segment_id: null,
    project_id: s.projectId,
    tenant_id: s.projectId,
    dns_nameservers: s.network.external ? [] : ['8.8.8.8', '8.8.4.4'],
    dns_publish_fixed_ip: false,
    allocation_pools: [{ start: s.pool.start, end: s.pool.end }],
    host_routes: [],
    ip_version: 4,
    gateway_ip: s.gatewayIp,
    cidr: s.cidr,
    id: s.id,
    created_at: neutronTime(s.createdAt),
    description: '',
    ipv6_address_mode: null,
    ipv6_ra_mode: null,
    revision_number: 2,
    service_types: [],
    subnetpool_id: null,
    tags: [],
    updated_at: neutronTime(s.createdAt),
    'router:external': s.network.external,
  }),
  notFound: (id) => ({ type: 'SubnetNotFound', message: `Subnet ${id} could not be found.` }),
};
