// Neutron (network v2.0) calls: ports and floating IPs. https://docs.openstack.org/api-ref/network/v2/
// Repeated query keys are OR (`device_id=A&device_id=B`), so one call covers a chunk of instances; admins see
// every project's resources without any flag, members their own. Lists are not paged unless the deployment
// turns pagination on; `<collection>_links` is followed when it does. The API base (`<root>/v2.0`) comes from
// Neutron's version document (openstack-source.ts api()).
import { OpenStackSource } from '../openstack-source.ts';
import { garbled } from '../http/status-error.ts';
import { collectMarkerPages, hasNextLink, queryString, withQuery } from '../http/pagination.ts';
import type { FloatingIp, Port } from '../../core/domain.ts';
import { toFloatingIp, toPort } from './map.ts';

export class NeutronSource extends OpenStackSource {
  /** A list endpoint with filters, following `<collection>_links` if the deployment paginates; each page mapped as it arrives. */
  private list<T>(collection: 'ports' | 'floatingips', filters: Record<string, string[] | string | undefined>, map: (raw: any) => T): Promise<T[]> {
    return collectMarkerPages(async (marker) => {
      const api = await this.api('neutron');
      const res = await this.getList(api, withQuery(`${api.base}/${collection}`, queryString({ ...filters, marker })));
      const page = res.body?.[collection];
      if (!Array.isArray(page)) throw garbled('neutron', `${collection} list without ${collection}`);
      return { items: page.map(map), hasNext: hasNextLink(res.body[`${collection}_links`]) };
    });
  }

  /** Prefix of a chunked URL, for sizing chunks. */
  async urlFor(collection: 'ports' | 'floatingips'): Promise<string> {
    return `${(await this.api('neutron')).base}/${collection}?`;
  }

  async portsByDevice(deviceIds?: string[]): Promise<Port[]> {
    return this.list('ports', { device_id: deviceIds }, toPort);
  }

  async portsByIds(ids: string[]): Promise<Port[]> {
    return this.list('ports', { id: ids }, toPort);
  }

  async floatingIpsByIds(ids: string[]): Promise<FloatingIp[]> {
    return this.list('floatingips', { id: ids }, toFloatingIp);
  }

  async floatingIpsByAddress(addresses: string[]): Promise<FloatingIp[]> {
    return this.list('floatingips', { floating_ip_address: addresses }, toFloatingIp);
  }

  async floatingIpsByPort(portIds?: string[]): Promise<FloatingIp[]> {
    return this.list('floatingips', { port_id: portIds }, toFloatingIp);
  }
}
