// Neutron JSON → domain: ports and floating IPs. https://docs.openstack.org/api-ref/network/v2/
// Ports may have no device; `port_details` on a floating IP (Rocky and later) names the instance behind it, and
// an older Neutron leaves it out (deviceId undefined, not null: "not said" differs from "no device").
import type { FloatingIp, Port } from '../../core/domain.ts';
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
