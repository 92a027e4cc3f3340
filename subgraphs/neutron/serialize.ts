// Neutron v2.0 resource definitions: the JSON of ports, networks and floating IPs (keys as the
// neutron-lib api-ref samples ports-list-response.json, networks-list-response.json,
// floating-ips-list-response.json), the attributes each may be filtered and sorted on, and who may see it
// (default policy: admins everything; members their project's resources, ports on networks they own, and
// shared or external networks). https://docs.openstack.org/api-ref/network/v2/
//
// Timestamps carry `Z` (whole seconds): current Neutron adds it to every standard attribute
// (neutron/services/timestamp); the older ports/networks samples predate that.
import { createHash } from 'node:crypto';
import type { Caller } from '../emulator/openstack-auth.ts';
import type { Cloud, FloatingIp, Network, Port } from '../seed/types.ts';

export type AttrValue = string | number | boolean | null;
export type AttrKind = 'str' | 'int' | 'bool';
export interface Attr<T> {
  kind: AttrKind;
  get: (item: T) => AttrValue;
}

/** Per-request lookups the definitions share (built lazily: most requests need neither). */
export class NeutronContext {
  private nets?: Map<string, Network>;
  private ports?: Map<string, Port>;
  constructor(
    readonly cloud: Cloud,
    readonly caller: Caller,
  ) {}
  network(id: string): Network | undefined {
    this.nets ??= new Map(this.cloud.networks.map((n) => [n.id, n]));
    return this.nets.get(id);
  }
  port(id: string): Port | undefined {
    this.ports ??= new Map(this.cloud.ports.map((p) => [p.id, p]));
    return this.ports.get(id);
  }
}

export interface ResourceDef<T extends { id: string }> {
  collection: string;
  /** The URL path segment when it differs from the JSON key (`security-groups` lists `security_groups`). */
  path?: string;
  member: string;
  items: (cloud: Cloud) => readonly T[];
  visible: (item: T, ctx: NeutronContext) => boolean;
  attrs: Record<string, Attr<T>>;
  /** Filters with their own semantics (Neutron's `fixed_ips=ip_address=…`). */
  special?: Record<string, (values: string[]) => (item: T) => boolean>;
  serialize: (item: T, ctx: NeutronContext) => Record<string, unknown>;
  notFound: (id: string) => { type: string; message: string };
}

export const neutronTime = (date: Date): string => date.toISOString().slice(0, 19) + 'Z';

/** A stable UUID for things the seed does not model (each project's default security group). */
export function stableUuid(name: string): string {
  const h = createHash('sha1').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export const str = <T>(get: (item: T) => AttrValue): Attr<T> => ({ kind: 'str', get });
export const int = <T>(get: (item: T) => AttrValue): Attr<T> => ({ kind: 'int', get });
export const bool = <T>(get: (item: T) => AttrValue): Attr<T> => ({ kind: 'bool', get });
export const projectAttrs = <T extends { projectId: string }>() => ({
  project_id: str<T>((x) => x.projectId),
  tenant_id: str<T>((x) => x.projectId),
});

const dnsHost = (ip: string) => `host-${ip.replace(/[.:]/g, '-')}`;

export const PORTS: ResourceDef<Port> = {
  collection: 'ports',
  member: 'port',
  items: (cloud) => cloud.ports,
  visible: (p, ctx) => ctx.caller.isAdmin || p.projectId === ctx.caller.projectId || ctx.network(p.networkId)?.projectId === ctx.caller.projectId,
  attrs: {
    id: str((p) => p.id),
    name: str((p) => p.name),
    network_id: str((p) => p.networkId),
    ...projectAttrs<Port>(),
    device_id: str((p) => p.deviceId),
    device_owner: str((p) => p.deviceOwner),
    mac_address: str((p) => p.macAddress),
    status: str((p) => p.status),
    admin_state_up: bool(() => true),
    description: str(() => ''),
    revision_number: int(() => 1),
    dns_name: str(() => ''),
    ip_allocation: str(() => 'immediate'),
    port_security_enabled: bool(() => true),
    created_at: str((p) => neutronTime(p.createdAt)),
    updated_at: str((p) => neutronTime(p.createdAt)),
  },
  special: {
    // fixed_ips=ip_address=10.0.0.5&fixed_ips=subnet_id=…: a port matches when one of its IPs matches all.
    fixed_ips: (values) => {
      const wanted = new Map<string, Set<string>>();
      for (const v of values) {
        const i = v.indexOf('=');
        const key = i === -1 ? v : v.slice(0, i);
        if (!wanted.has(key)) wanted.set(key, new Set());
        wanted.get(key)!.add(i === -1 ? '' : v.slice(i + 1));
      }
      return (p) =>
        p.fixedIps.some((ip) =>
          [...wanted].every(([k, set]) =>
            k === 'ip_address'
              ? set.has(ip.ipAddress)
              : k === 'subnet_id'
                ? set.has(ip.subnetId)
                : k === 'ip_address_substr'
                  ? [...set].some((s) => ip.ipAddress.includes(s))
                  : false,
          ),
        );
    },
  },
  serialize: (p) => ({
    admin_state_up: true,
    allowed_address_pairs: [],
    created_at: neutronTime(p.createdAt),
    data_plane_status: null,
    description: '',
    device_id: p.deviceId,
    device_owner: p.deviceOwner,
    dns_assignment: p.fixedIps.map((ip) => ({
      hostname: dnsHost(ip.ipAddress),
      ip_address: ip.ipAddress,
      fqdn: `${dnsHost(ip.ipAddress)}.openstacklocal.`,
    })),
    dns_domain: '',
    dns_name: '',
    extra_dhcp_opts: [],
    fixed_ips: p.fixedIps.map((ip) => ({ ip_address: ip.ipAddress, subnet_id: ip.subnetId })),
    id: p.id,
    ip_allocation: 'immediate',
    mac_address: p.macAddress,
    name: p.name,
    network_id: p.networkId,
    project_id: p.projectId,
    revision_number: 1,
    security_groups: [stableUuid(`security-group:default:${p.projectId}`)],
    status: p.status,
    tags: [],
    tenant_id: p.projectId,
    updated_at: neutronTime(p.createdAt),
    qos_network_policy_id: null,
    qos_policy_id: null,
    port_security_enabled: true,
    propagate_uplink_status: false,
    pvlan_type: null,
    pvlan_community: null,
  }),
  notFound: (id) => ({ type: 'PortNotFound', message: `Port ${id} could not be found.` }),
};

export const NETWORKS: ResourceDef<Network> = {
  collection: 'networks',
  member: 'network',
  items: (cloud) => cloud.networks,
  visible: (n, ctx) => ctx.caller.isAdmin || n.projectId === ctx.caller.projectId || n.shared || n.external,
  attrs: {
    id: str((n) => n.id),
    name: str((n) => n.name),
    ...projectAttrs<Network>(),
    shared: bool((n) => n.shared),
    'router:external': bool((n) => n.external),
    status: str(() => 'ACTIVE'),
    admin_state_up: bool(() => true),
    mtu: int((n) => (n.external ? 1500 : 1450)),
    description: str(() => ''),
    revision_number: int(() => 1),
    is_default: bool((n) => n.external),
    port_security_enabled: bool(() => true),
    created_at: str((n) => neutronTime(n.createdAt)),
    updated_at: str((n) => neutronTime(n.createdAt)),
  },
  serialize: (n) => ({
    admin_state_up: true,
    availability_zone_hints: [],
    availability_zones: ['nova'],
    created_at: neutronTime(n.createdAt),
    dns_domain: '',
    id: n.id,
    ipv4_address_scope: null,
    ipv6_address_scope: null,
    l2_adjacency: true,
    mtu: n.external ? 1500 : 1450,
    name: n.name,
    port_security_enabled: true,
    project_id: n.projectId,
    qos_policy_id: null,
    revision_number: 1,
    'router:external': n.external,
    pvlan: false,
    shared: n.shared,
    status: 'ACTIVE',
    subnets: [n.subnetId],
    tenant_id: n.projectId,
    updated_at: neutronTime(n.createdAt),
    vlan_transparent: false,
    qinq: false,
    description: '',
    is_default: n.external,
  }),
  notFound: (id) => ({ type: 'NetworkNotFound', message: `Network ${id} could not be found.` }),
};

/** A floating IP's `description` (the seed has none; writes set it: floating-ip-writes.ts). */
export const fipDescriptions = new WeakMap<FloatingIp, string>();

export const FLOATING_IPS: ResourceDef<FloatingIp> = {
  collection: 'floatingips',
  member: 'floatingip',
  items: (cloud) => cloud.floatingIps,
  visible: (f, ctx) => ctx.caller.isAdmin || f.projectId === ctx.caller.projectId,
  attrs: {
    id: str((f) => f.id),
    ...projectAttrs<FloatingIp>(),
    floating_network_id: str((f) => f.floatingNetworkId),
    floating_ip_address: str((f) => f.address),
    fixed_ip_address: str((f) => f.fixedIpAddress),
    port_id: str((f) => f.portId),
    router_id: str((f) => f.routerId),
    status: str((f) => f.status),
    description: str((f) => fipDescriptions.get(f) ?? ''),
    revision_number: int(() => 1),
    created_at: str((f) => neutronTime(f.createdAt)),
    updated_at: str((f) => neutronTime(f.createdAt)),
  },
  serialize: (f, ctx) => {
    const port = f.portId ? ctx.port(f.portId) : undefined;
    return {
      router_id: f.routerId,
      description: fipDescriptions.get(f) ?? '',
      dns_domain: '',
      dns_name: '',
      created_at: neutronTime(f.createdAt),
      updated_at: neutronTime(f.createdAt),
      revision_number: 1,
      project_id: f.projectId,
      tenant_id: f.projectId,
      floating_network_id: f.floatingNetworkId,
      fixed_ip_address: f.fixedIpAddress,
      floating_ip_address: f.address,
      port_id: f.portId,
      id: f.id,
      status: f.status,
      port_details: port
        ? {
            status: port.status,
            name: port.name,
            admin_state_up: true,
            network_id: port.networkId,
            device_owner: port.deviceOwner,
            mac_address: port.macAddress,
            device_id: port.deviceId,
          }
        : null,
      tags: [],
      port_forwardings: [],
      qos_network_policy_id: null,
      qos_policy_id: null,
    };
  },
  notFound: (id) => ({ type: 'FloatingIPNotFound', message: `Floating IP ${id} could not be found` }),
};
