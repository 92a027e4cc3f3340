// Nova (compute v2.1) calls: servers, flavors, hypervisors and aggregates. https://docs.openstack.org/api-ref/compute/
//  - The microversion is negotiated from Nova's version document (openstack-source.ts api()): the highest of
//    2.1–2.96 that Nova offers. From 2.47 servers embed their flavor; before, they carry {id, links} and the
//    flavor is looked up by id through one flavors list (nova/loaders.ts `flavor`).
//  - `host`, `node`, `uuid` and `project_id` filters are admin-only and silently ignored for others, and
//    `all_tenants` from a member is a 403 — so those are sent only for admin callers.
//  - Pages are capped at 1000 (osapi_max_limit); servers_links has rel=next only when a page is full. Nova has
//    no offset and no count, so a list is a marker chain — except an admin's wide list (all_tenants, not already
//    narrowed to a zone, host, node or uuid): when its first page is full, the rest is read as one marker chain
//    per availability zone, side by side, each starting after the first page's last server, and merged back in
//    Nova's order (created_at desc, id desc). Zone names are the region controller's (the request registers
//    them with splitByZones(); server/prefetch.ts does). Without them the one chain is followed. The split
//    assumes every server listed after the first page is in one of those zones (a server whose scheduling
//    failed before it got a zone would be missed), as the fleet's zones are the region controller's.
//  - Each page is mapped as it arrives and, when expected big (`expectedRecords`, the list's learned size), waits
//    for the Nova list gate (http/pagination.ts listGate).
//  - Hypervisors and aggregates are admin-only (os_compute_api:os-hypervisors:list-detail, os-aggregates:index):
//    GET /os-hypervisors/detail (limit/marker from 2.33, ids are UUIDs from 2.53, no capacity fields from 2.88)
//    and GET /os-aggregates (one unpaged list). https://docs.openstack.org/api-ref/compute/#list-hypervisors-details
import { OpenStackSource } from '../openstack-source.ts';
import { garbled } from '../http/status-error.ts';
import { bigPage, collectMarkerPages, hasNextLink, pageGate, queryString, withQuery, type Page } from '../http/pagination.ts';
import type { UpstreamClient } from '../http/client.ts';
import { SPOKEN, formatMicroversion } from '../discovery/version-document.ts';
import type { Flavor, HostAggregate, Hypervisor, Instance, QuotaSet } from '../../core/domain.ts';
import { toAggregate, toFlavorRecord, toHypervisor, toInstance } from './map.ts';

/** The newest microversion Mosaic speaks (sent as is by the write paths, nova/actions.ts). */
export const NOVA_MICROVERSION = formatMicroversion(SPOKEN.nova.microversions!.max);
export const NOVA_PAGE_LIMIT = 1000;
const ADMIN_ONLY_FILTERS = ['all_tenants', 'host', 'node', 'uuid', 'project_id'];

export type ServerFilters = Record<string, string | string[] | undefined>;

/** Filters that already narrow a list to part of one zone or less: such a list is not split. */
const NARROW_FILTERS = ['availability_zone', 'host', 'node', 'uuid'];

/** The request's zone names (keyed by its UpstreamClient, so nothing outlives the request). */
const zoneNamesOf = new WeakMap<UpstreamClient, () => Promise<string[]>>();

/**
 * Lets this request's admin wide server lists split per availability zone once their first page is full. The
 * names are asked for only then (a list of one page costs nothing more).
 */
export function splitByZones(upstream: UpstreamClient, zoneNames: () => Promise<string[]>): void {
  zoneNamesOf.set(upstream, zoneNames);
}

/** Nova's list order: created_at descending, then id descending (nova/db/main/api.py instance_get_all_by_filters_sort). */
const novaOrder = (a: Instance, b: Instance): number => {
  const d = b.createdAt.getTime() - a.createdAt.getTime();
  return d !== 0 ? d : a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
};

export class NovaSource extends OpenStackSource {
  /**
   * GET /servers/detail: every server matching the filters, pages followed to the end (split per zone when the
   * header says). Admin-only filters are dropped for members (Nova would ignore them anyway, and `all_tenants`
   * would be a 403).
   */
  async listServers(filters: ServerFilters = {}, expectedRecords?: number): Promise<Instance[]> {
    const params: ServerFilters = { ...filters };
    if (!this.caller.isAdmin) for (const k of ADMIN_ONLY_FILTERS) delete params[k];
    const api = await this.api('nova');
    const base = `${api.base}/servers/detail`;
    // Big pages (from the list's learned size) wait for the process-wide Nova gate; small ones go at once.
    // A list never seen is expected big, unless one host's, node's or id's (a few dozen servers at most).
    const fewExpected = expectedRecords === undefined && (['host', 'node', 'uuid'] as const).some((k) => params[k] !== undefined);
    const big = !fewExpected && bigPage(expectedRecords, NOVA_PAGE_LIMIT, this.upstream.stats.bytesPerRecord('nova', 'servers'));
    const gate = pageGate('nova', big);
    /** One page, mapped before the next is asked for; the raw array goes out of scope here. */
    const page = (query: ServerFilters, marker: string | undefined): Promise<Page<Instance>> =>
      gate.run(async () => {
        const res = await this.getList(api, withQuery(base, queryString({ ...query, limit: NOVA_PAGE_LIMIT, marker })));
        const servers: unknown = res.body?.servers;
        if (!Array.isArray(servers)) throw garbled('nova', 'servers/detail without servers');
        return { items: servers.map(toInstance), hasNext: hasNextLink(res.body.servers_links) };
      });
    const zoneNames = zoneNamesOf.get(this.upstream);
    const wide = this.caller.isAdmin && params.all_tenants !== undefined && !NARROW_FILTERS.some((k) => params[k] !== undefined);
    if (!zoneNames || !wide) return collectMarkerPages((marker) => page(params, marker));

    const first = await page(params, undefined);
    if (!first.hasNext || first.items.length === 0) return first.items;
    const after = first.items[first.items.length - 1].id;
    // Without the zone names (the region controller failing) the rest is the one chain: Nova's answer must not depend on it.
    const zones = [...new Set(await zoneNames().catch((): string[] => []))];
    if (zones.length === 0) return [...first.items, ...(await collectMarkerPages((marker) => page(params, marker), undefined, undefined, after))];
    const rests = await Promise.all(
      zones.map((zone) => collectMarkerPages((marker) => page({ ...params, availability_zone: zone }, marker), undefined, undefined, after)),
    );
    const seen = new Set(first.items.map((i) => i.id));
    const rest: Instance[] = [];
    for (const list of rests) {
      for (const i of list) {
        if (seen.has(i.id)) continue;
        seen.add(i.id);
        rest.push(i);
      }
    }
    rest.sort(novaOrder);
    for (const i of rest) first.items.push(i);
    return first.items;
  }

  /** GET /servers/{id}: one server, or null when Nova does not know it (or the caller may not see it). */
  async getServer(id: string): Promise<Instance | null> {
    const api = await this.api('nova');
    const res = await this.getOne(api, `${api.base}/servers/${encodeURIComponent(id)}`);
    if (res.status === 404) return null;
    if (!res.body?.server) throw garbled('nova', 'server without server');
    return toInstance(res.body.server);
  }

  /** GET /os-hypervisors/detail, every page (marker chain from 2.33; before, one unpaged answer). */
  async hypervisors(): Promise<Hypervisor[]> {
    const api = await this.api('nova');
    const paged = (api.microversion?.minor ?? 0) >= 33;
    const base = `${api.base}/os-hypervisors/detail`;
    return collectMarkerPages(
      async (marker) => {
        const res = await this.getList(api, paged ? withQuery(base, queryString({ limit: NOVA_PAGE_LIMIT, marker })) : base);
        const list: unknown = res.body?.hypervisors;
        if (!Array.isArray(list)) throw garbled('nova', 'os-hypervisors/detail without hypervisors');
        return { items: list.map(toHypervisor), hasNext: paged && hasNextLink(res.body.hypervisors_links) };
      },
      1000,
      (h) => h.id,
    );
  }

  /** GET /os-aggregates: every host aggregate (Nova does not page it). */
  async aggregates(): Promise<HostAggregate[]> {
    const api = await this.api('nova');
    const res = await this.getList(api, `${api.base}/os-aggregates`);
    if (!Array.isArray(res.body?.aggregates)) throw garbled('nova', 'os-aggregates without aggregates');
    return res.body.aggregates.map(toAggregate);
  }

  /** GET /flavors/detail (every flavor: Nova does not page it unless asked to). */
  async flavors(): Promise<Flavor[]> {
    const api = await this.api('nova');
    const res = await this.getList(api, `${api.base}/flavors/detail`);
    if (!Array.isArray(res.body?.flavors)) throw garbled('nova', 'flavors/detail without flavors');
    return res.body.flavors.map(toFlavorRecord);
  }

  /**
   * GET /flavors/{flavor_id}: one flavor, private ones the caller may use included; null when Nova does not know it.
   * https://docs.openstack.org/api-ref/compute/#show-flavor-details
   */
  async getFlavor(id: string): Promise<Flavor | null> {
    const api = await this.api('nova');
    const res = await this.getOne(api, `${api.base}/flavors/${encodeURIComponent(id)}`);
    if (res.status === 404) return null;
    if (!res.body?.flavor) throw garbled('nova', 'flavor without flavor');
    return toFlavorRecord(res.body.flavor);
  }

  /**
   * GET /os-quota-sets/{project_id}/detail: `{in_use, limit, reserved}` per resource, keyed by Nova's names (cores,
   * instances, ram…). Members may read their own project's only (Nova answers 403 otherwise).
   * https://docs.openstack.org/api-ref/compute/#show-the-detail-of-quota
   */
  async quotaDetail(projectId: string): Promise<QuotaSet> {
    const api = await this.api('nova');
    const res = await this.getList(api, `${api.base}/os-quota-sets/${encodeURIComponent(projectId)}/detail`);
    const raw: unknown = res.body?.quota_set;
    if (!raw || typeof raw !== 'object') throw garbled('nova', 'quota set without quota_set');
    const out: QuotaSet = {};
    for (const [k, v] of Object.entries(raw as Record<string, any>)) {
      if (v && typeof v === 'object' && typeof v.limit === 'number') {
        out[k] = { limit: v.limit, inUse: typeof v.in_use === 'number' ? v.in_use : 0, reserved: typeof v.reserved === 'number' ? v.reserved : 0 };
      }
    }
    return out;
  }
}
