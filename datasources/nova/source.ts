// Nova (compute v2.1) calls: servers and flavors. https://docs.openstack.org/api-ref/compute/
//  - We ask for microversion 2.79 (the embedded flavor of 2.47+; an older Nova's flavor ids still work).
//  - `host`, `node`, `uuid` and `project_id` filters are admin-only and silently ignored for others, and
//    `all_tenants` from a member is a 403 — so those are sent only for admin callers.
//  - Pages are capped at 1000 (osapi_max_limit); servers_links has rel=next only when a page is full.
import { OpenStackSource } from '../openstack-source.ts';
import { garbled } from '../http/status-error.ts';
import { collectMarkerPages, hasNextLink, queryString, withQuery } from '../http/pagination.ts';
import type { Flavor, Instance } from '../../core/domain.ts';
import { toFlavorRecord, toInstance } from './map.ts';

export const NOVA_MICROVERSION = '2.79';
export const NOVA_PAGE_LIMIT = 1000;
const ADMIN_ONLY_FILTERS = ['all_tenants', 'host', 'node', 'uuid', 'project_id'];

export type ServerFilters = Record<string, string | string[] | undefined>;

export class NovaSource extends OpenStackSource {
  protected override get headers() {
    return { 'x-auth-token': this.caller.token, 'openstack-api-version': `compute ${NOVA_MICROVERSION}` };
  }

  /**
   * GET /servers/detail: every server matching the filters, pages followed to the end. Admin-only filters are
   * dropped for members (Nova would ignore them anyway, and `all_tenants` would be a 403).
   */
  async listServers(filters: ServerFilters = {}): Promise<Instance[]> {
    const params: ServerFilters = { ...filters };
    if (!this.caller.isAdmin) for (const k of ADMIN_ONLY_FILTERS) delete params[k];
    const base = `${this.baseUrl}/servers/detail`;
    const raw = await collectMarkerPages<any>(async (marker) => {
      const url = withQuery(base, queryString({ ...params, limit: NOVA_PAGE_LIMIT, marker }));
      const res = await this.upstream.get('nova', url, this.headers);
      const servers = res.body?.servers;
      if (!Array.isArray(servers)) throw garbled('nova', 'servers/detail without servers');
      return { items: servers, hasNext: hasNextLink(res.body.servers_links) };
    });
    return raw.map(toInstance);
  }

  /** GET /servers/{id}: one server, or null when Nova does not know it (or the caller may not see it). */
  async getServer(id: string): Promise<Instance | null> {
    const res = await this.upstream.get('nova', `${this.baseUrl}/servers/${encodeURIComponent(id)}`, this.headers, [404]);
    if (res.status === 404) return null;
    return toInstance(res.body.server);
  }

  /** GET /flavors/detail. */
  async flavors(): Promise<Flavor[]> {
    const res = await this.upstream.get('nova', `${this.baseUrl}/flavors/detail`, this.headers);
    return (res.body?.flavors ?? []).map(toFlavorRecord);
  }
}
