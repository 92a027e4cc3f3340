// Placement calls: a resource provider's inventories and usages. https://docs.openstack.org/api-ref/placement/
//  - Nova's compute node is a resource provider whose uuid is the hypervisor's id (os-hypervisors, 2.53+), so no
//    provider lookup is needed; a provider Placement does not know answers 404 (null here).
//  - The API is at the endpoint root (`…/placement/resource_providers`): the version document's self link is
//    empty, and its range is `max_version` (discovery/version-document.ts). Requests carry
//    `OpenStack-API-Version: placement 1.X` with the negotiated microversion; every route is admin-only.
//  - There is no call for many providers' inventories or usages at once: one GET each, under the loaders'
//    concurrency cap (placement/loaders.ts).
import { OpenStackSource } from '../openstack-source.ts';
import { garbled } from '../http/status-error.ts';
import type { HostUsage } from '../../core/domain.ts';
import { toHostUsage } from './map.ts';

export class PlacementSource extends OpenStackSource {
  /** GET /resource_providers/{uuid}/inventories and /usages, side by side: the provider's capacity and use, or null. */
  async providerUsage(uuid: string): Promise<HostUsage | null> {
    const api = await this.api('placement');
    const base = `${api.base}/resource_providers/${encodeURIComponent(uuid)}`;
    const [inventories, usages] = await Promise.all([this.getOne(api, `${base}/inventories`), this.getOne(api, `${base}/usages`)]);
    if (inventories.status === 404 || usages.status === 404) return null;
    if (!inventories.body?.inventories || typeof inventories.body.inventories !== 'object')
      throw garbled('placement', 'inventories without inventories');
    if (!usages.body?.usages || typeof usages.body.usages !== 'object') throw garbled('placement', 'usages without usages');
    return toHostUsage(inventories.body.inventories, usages.body.usages);
  }
}
