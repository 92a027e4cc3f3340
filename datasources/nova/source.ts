// Nova (compute v2.1) calls: servers and flavors. https://docs.openstack.org/api-ref/compute/
//  - The microversion is negotiated from Nova's version document (openstack-source.ts api()): the highest of
//    2.1–2.79 that Nova offers. From 2.47 servers embed their flavor; before, they carry {id, links} and the
//    flavor is looked up by id through one flavors list (nova/loaders.ts `flavor`).
//  - `host`, `node`, `uuid` and `project_id` filters are admin-only and silently ignored for others, and
//    `all_tenants` from a member is a 403 — so those are sent only for admin callers.
//  - Pages are capped at 1000 (osapi_max_limit); servers_links has rel=next only when a page is full.
import { OpenStackSource } from '../openstack-source.ts';
import { garbled } from '../http/status-error.ts';
import { collectMarkerPages, hasNextLink, queryString, withQuery } from '../http/pagination.ts';
import { SPOKEN, formatMicroversion } from '../discovery/version-document.ts';
import type { Flavor, Instance } from '../../core/domain.ts';
import { toFlavorRecord, toInstance } from './map.ts';

/** The newest microversion Mosaic speaks (sent as is by the write paths, nova/actions.ts). */
export const NOVA_MICROVERSION = formatMicroversion(SPOKEN.nova.microversions!.max);
export const NOVA_PAGE_LIMIT = 1000;
const ADMIN_ONLY_FILTERS = ['all_tenants', 'host', 'node', 'uuid', 'project_id'];

export type ServerFilters = Record<string, string | string[] | undefined>;

export class NovaSource extends OpenStackSource {
  /**
   * GET /servers/detail: every server matching the filters, pages followed to the end. Admin-only filters are
   * dropped for members (Nova would ignore them anyway, and `all_tenants` would be a 403).
   */
  async listServers(filters: ServerFilters = {}): Promise<Instance[]> {
    const params: ServerFilters = { ...filters };
    if (!this.caller.isAdmin) for (const k of ADMIN_ONLY_FILTERS) delete params[k];
    const api = await this.api('nova');
    const base = `${api.base}/servers/detail`;
    const raw = await collectMarkerPages<any>(async (marker) => {
      const url = withQuery(base, queryString({ ...params, limit: NOVA_PAGE_LIMIT, marker }));
      const res = await this.getList(api, url);
      const servers = res.body?.servers;
      if (!Array.isArray(servers)) throw garbled('nova', 'servers/detail without servers');
      return { items: servers, hasNext: hasNextLink(res.body.servers_links) };
    });
    return raw.map(toInstance);
  }

  /** GET /servers/{id}: one server, or null when Nova does not know it (or the caller may not see it). */
  async getServer(id: string): Promise<Instance | null> {
    const api = await this.api('nova');
    const res = await this.getOne(api, `${api.base}/servers/${encodeURIComponent(id)}`);
    if (res.status === 404) return null;
    if (!res.body?.server) throw garbled('nova', 'server without server');
    return toInstance(res.body.server);
  }

  /** GET /flavors/detail (every flavor: Nova does not page it unless asked to). */
  async flavors(): Promise<Flavor[]> {
    const api = await this.api('nova');
    const res = await this.getList(api, `${api.base}/flavors/detail`);
    if (!Array.isArray(res.body?.flavors)) throw garbled('nova', 'flavors/detail without flavors');
    return res.body.flavors.map(toFlavorRecord);
  }
}
