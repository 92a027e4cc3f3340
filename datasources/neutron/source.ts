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
  /** A list endpoint with filters, following `<collection>_links` if the deployment paginates. */
  private list(collection: 'ports' | 'floatingips', filters: Record<string, string[] | string | undefined>): Promise<any[]> {
    return collectMarkerPages<any>(async (marker) => {
      const api = await this.api('neutron');
      const res = await this.getList(api, withQuery(`${api.base}/${collection}`, queryString({ ...filters, marker })));
      const page = res.body?.[collection];
      if (!Array.isArray(page)) throw garbled('neutron', `${collection} list without ${collection}`);
      return { items: page, hasNext: hasNextLink(res.body[`${collection}_links`]) };
    });
  }

  /** Prefix of a chunked URL, for sizing chunks. */
  async urlFor(collection: 'ports' | 'floatingips'): Promise<string> {
    return `${(await this.api('neutron')).base}/${collection}?`;
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
