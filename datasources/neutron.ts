// Neutron (network v2.0): ports and floating IPs. https://docs.openstack.org/api-ref/network/v2/
// Facts handled here: repeated query keys are OR (`device_id=A&device_id=B`), so one call covers a chunk of
// instances; admins see every project's resources without any flag, members their own.
import { OpenStackSource } from './openstack-source.ts';
import { garbled, type UpstreamClient } from './http.ts';
import type { FloatingIp, Port } from './domain.ts';
import { parseOpenStackTime } from './domain.ts';
import { hasNextLink, queryString, withQuery } from './paginate.ts';

export function toPort(p: any): Port {
  return {
    id: p.id, name: p.name ?? '', networkId: p.network_id, projectId: p.project_id ?? p.tenant_id ?? '', deviceId: p.device_id ?? '',
    deviceOwner: p.device_owner ?? '', macAddress: p.mac_address,
    fixedIps: (p.fixed_ips ?? []).map((f: any) => ({ ipAddress: f.ip_address, subnetId: f.subnet_id })),
    status: p.status, createdAt: parseOpenStackTime(p.created_at),
  };
}

export function toFloatingIp(f: any): FloatingIp {
  return {
    id: f.id, address: f.floating_ip_address, fixedIpAddress: f.fixed_ip_address ?? null, portId: f.port_id ?? null,
    deviceId: 'port_details' in f ? f.port_details?.device_id ?? null : undefined,
    projectId: f.project_id ?? f.tenant_id ?? '', status: f.status, floatingNetworkId: f.floating_network_id,
    createdAt: parseOpenStackTime(f.created_at),
  };
}

export class NeutronSource extends OpenStackSource {
  /** A list endpoint with filters, following `<collection>_links` if the deployment paginates. */
  private async list(collection: 'ports' | 'floatingips', filters: Record<string, string[] | string | undefined>): Promise<any[]> {
    const items: any[] = [];
    let marker: string | undefined;
    for (;;) {
      const url = withQuery(`${this.baseUrl}/v2.0/${collection}`, queryString({ ...filters, marker }));
      const res = await this.upstream.get('neutron', url, this.headers);
      const page = res.body?.[collection];
      if (!Array.isArray(page)) throw garbled('neutron', `${collection} list without ${collection}`);
      items.push(...page);
      if (!hasNextLink(res.body[`${collection}_links`]) || page.length === 0) return items;
      marker = page[page.length - 1].id;
    }
  }

  /** Prefix of a chunked URL, for sizing chunks. */
  urlFor(collection: 'ports' | 'floatingips'): string {
    return `${this.baseUrl}/v2.0/${collection}?`;
  }

  async portsByDevice(deviceIds?: string[]): Promise<Port[]> {
    return (await this.list('ports', { device_id: deviceIds })).map(toPort);
  }

  async portsByIds(ids: string[]): Promise<Port[]> {
    return (await this.list('ports', { id: ids })).map(toPort);
  }

  async floatingIpsByIds(ids: string[]): Promise<FloatingIp[]> {
    return (await this.list('floatingips', { id: ids })).map(toFloatingIp);
  }

  async floatingIpsByAddress(addresses: string[]): Promise<FloatingIp[]> {
    return (await this.list('floatingips', { floating_ip_address: addresses })).map(toFloatingIp);
  }

  async floatingIpsByPort(portIds?: string[]): Promise<FloatingIp[]> {
    return (await this.list('floatingips', { port_id: portIds })).map(toFloatingIp);
  }
}
