// Neutron (network v2.0) calls: ports and floating IPs. https://docs.openstack.org/api-ref/network/v2/
// Repeated query keys are OR (`device_id=A&device_id=B`), so one call covers a chunk of instances; admins see
// every project's resources without any flag, members their own. Lists are not paged unless the deployment
// turns pagination on; `<collection>_links` is followed when it does. The API base (`<root>/v2.0`) comes from
// Neutron's version document (openstack-source.ts api()).
import { OpenStackSource } from '../openstack-source.ts';
import { garbled } from '../http/status-error.ts';
import { collectMarkerPages, hasNextLink, queryString, withQuery } from '../http/pagination.ts';
import type { FloatingIp, Network, Port, QuotaSet, SecurityGroup, Subnet } from '../../core/domain.ts';
import { toFloatingIp, toNetwork, toPort, toQuotaSet, toSecurityGroup, toSubnet } from './map.ts';

/** The collections read here (https://docs.openstack.org/api-ref/network/v2/). */
export type NeutronCollection = 'ports' | 'floatingips' | 'networks' | 'subnets' | 'security_groups';
/** URL paths differ from the JSON keys for security groups only: `GET /v2.0/security-groups` → `security_groups`. */
const pathOf = (collection: NeutronCollection) => (collection === 'security_groups' ? 'security-groups' : collection);

export class NeutronSource extends OpenStackSource {
  /** A list endpoint with filters, following `<collection>_links` if the deployment paginates; each page mapped as it arrives. */
  private list<T>(collection: NeutronCollection, filters: Record<string, string[] | string | undefined>, map: (raw: any) => T): Promise<T[]> {
    return collectMarkerPages(async (marker) => {
      const api = await this.api('neutron');
      const res = await this.getList(api, withQuery(`${api.base}/${pathOf(collection)}`, queryString({ ...filters, marker })));
      const page = res.body?.[collection];
      if (!Array.isArray(page)) throw garbled('neutron', `${collection} list without ${collection}`);
      return { items: page.map(map), hasNext: hasNextLink(res.body[`${collection}_links`]) };
    });
  }

  /** Prefix of a chunked URL, for sizing chunks. */
  async urlFor(collection: NeutronCollection): Promise<string> {
    return `${(await this.api('neutron')).base}/${pathOf(collection)}?`;
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

  /**
   * The first `limit` items of a collection, one call: `limit` bounds Neutron's work where the deployment
   * paginates, and the answer is cut to `limit` where it does not.
   */
  private async firstPage<T>(
    collection: NeutronCollection,
    filters: Record<string, string[] | string | undefined>,
    limit: number,
    map: (raw: any) => T,
  ) {
    const api = await this.api('neutron');
    const res = await this.getList(api, withQuery(`${api.base}/${pathOf(collection)}`, queryString({ ...filters, limit: String(limit) })));
    const page = res.body?.[collection];
    if (!Array.isArray(page)) throw garbled('neutron', `${collection} list without ${collection}`);
    return page.slice(0, limit).map(map);
  }

  networks(filters: Record<string, string | undefined>, limit: number): Promise<Network[]> {
    return this.firstPage('networks', filters, limit, toNetwork);
  }

  networksByIds(ids: string[]): Promise<Network[]> {
    return this.list('networks', { id: ids }, toNetwork);
  }

  subnetsByIds(ids: string[]): Promise<Subnet[]> {
    return this.list('subnets', { id: ids }, toSubnet);
  }

  securityGroups(filters: Record<string, string | undefined>, limit: number): Promise<SecurityGroup[]> {
    return this.firstPage('security_groups', filters, limit, toSecurityGroup);
  }

  securityGroupsByIds(ids: string[]): Promise<SecurityGroup[]> {
    return this.list('security_groups', { id: ids }, toSecurityGroup);
  }

  /**
   * GET /v2.0/quotas/{project_id}/details.json: `{used, limit, reserved}` per resource (the quota-details extension).
   * https://docs.openstack.org/api-ref/network/v2/#quotas-details-extension-quota-details
   */
  async quotaDetails(projectId: string): Promise<QuotaSet> {
    const api = await this.api('neutron');
    const res = await this.getList(api, `${api.base}/quotas/${encodeURIComponent(projectId)}/details.json`);
    if (!res.body?.quota || typeof res.body.quota !== 'object') throw garbled('neutron', 'quota details without quota');
    return toQuotaSet(res.body.quota);
  }
}
