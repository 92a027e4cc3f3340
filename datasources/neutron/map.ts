// Neutron JSON → domain: ports, floating IPs, networks, subnets, security groups and quota details. https://docs.openstack.org/api-ref/network/v2/
// Ports may have no device; `port_details` on a floating IP (Rocky and later) names the instance behind it, and
// an older Neutron leaves it out (deviceId undefined, not null: "not said" differs from "no device").
import type { FloatingIp, Network, Port, QuotaSet, SecurityGroup, Subnet } from '../../core/domain.ts';
import { parseOpenStackTime } from '../openstack-time.ts';

export function toPort(p: any): Port {
  return {
    id: p.id,
    name: p.name ?? '',
    networkId: p.network_id,
    projectId: p.project_id ?? p.tenant_id ?? '',
    deviceId: p.device_id ?? '',
    deviceOwner: p.device_owner ?? '',
    macAddress: p.mac_address,
    fixedIps: (p.fixed_ips ?? []).map((f: any) => ({ ipAddress: f.ip_address, subnetId: f.subnet_id })),
    status: p.status,
    createdAt: parseOpenStackTime(p.created_at),
    securityGroupIds: Array.isArray(p.security_groups) ? p.security_groups.filter((g: unknown) => typeof g === 'string') : undefined,
  };
}

export function toFloatingIp(f: any): FloatingIp {
  return {
    id: f.id,
    address: f.floating_ip_address,
    fixedIpAddress: f.fixed_ip_address ?? null,
    portId: f.port_id ?? null,
    deviceId: 'port_details' in f ? (f.port_details?.device_id ?? null) : undefined,
    projectId: f.project_id ?? f.tenant_id ?? '',
    status: f.status,
    floatingNetworkId: f.floating_network_id,
    createdAt: parseOpenStackTime(f.created_at),
  };
}

const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);
const strOrNull = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** https://docs.openstack.org/api-ref/network/v2/#show-network-details — `mtu` needs the net-mtu extension. */
export function toNetwork(n: any): Network {
  return {
    id: n.id,
    name: n.name ?? '',
    status: n.status ?? 'UNKNOWN',
    shared: n.shared === true,
    external: n['router:external'] === true,
    mtu: num(n.mtu),
    subnetIds: Array.isArray(n.subnets) ? n.subnets.filter((s: unknown) => typeof s === 'string') : [],
    projectId: n.project_id ?? n.tenant_id ?? '',
    createdAt: parseOpenStackTime(n.created_at),
  };
}

/** https://docs.openstack.org/api-ref/network/v2/#show-subnet-details */
export function toSubnet(s: any): Subnet {
  return {
    id: s.id,
    name: s.name ?? '',
    networkId: s.network_id,
    projectId: s.project_id ?? s.tenant_id ?? '',
    cidr: s.cidr,
    ipVersion: s.ip_version,
    gatewayIp: strOrNull(s.gateway_ip),
    enableDhcp: s.enable_dhcp === true,
    allocationPools: Array.isArray(s.allocation_pools) ? s.allocation_pools.map((p: any) => ({ start: p.start, end: p.end })) : [],
    dnsNameservers: Array.isArray(s.dns_nameservers) ? s.dns_nameservers : [],
  };
}

/** https://docs.openstack.org/api-ref/network/v2/#show-security-group — rules come embedded. */
export function toSecurityGroup(g: any): SecurityGroup {
  const rules: any[] = Array.isArray(g.security_group_rules) ? g.security_group_rules : [];
  return {
    id: g.id,
    name: g.name ?? '',
    description: g.description ?? '',
    projectId: g.project_id ?? g.tenant_id ?? '',
    rules: rules.map((r) => ({
      id: r.id,
      direction: r.direction,
      etherType: r.ethertype,
      protocol: strOrNull(r.protocol),
      portRangeMin: num(r.port_range_min),
      portRangeMax: num(r.port_range_max),
      remoteIpPrefix: strOrNull(r.remote_ip_prefix),
      remoteGroupId: strOrNull(r.remote_group_id),
    })),
  };
}

/** Quota details: `{"network": {"used", "limit", "reserved"}, …}`, keyed by Neutron's resource names. */
export function toQuotaSet(q: Record<string, any>): QuotaSet {
  const out: QuotaSet = {};
  for (const [k, v] of Object.entries(q)) {
    if (v && typeof v === 'object' && typeof v.limit === 'number')
      out[k] = { limit: v.limit, inUse: num(v.used) ?? 0, reserved: num(v.reserved) ?? 0 };
  }
  return out;
}
