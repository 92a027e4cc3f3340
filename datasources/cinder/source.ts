// Cinder (block storage v3) calls: volumes. https://docs.openstack.org/api-ref/block-storage/v3/
// There is no filter for many ids or many servers, so a batch is either single GETs or one list over a wider
// scope (`all_tenants=1` for admins, the caller's project otherwise), grouped locally (cinder/loaders.ts). Pages
// are capped at osapi_max_limit (1000) with volumes_links rel=next only when a page is full. The endpoint and
// the `volume 3.X` microversion (the highest of 3.0–3.70 Cinder offers) come from its version document
// (openstack-source.ts api()), whichever catalog type (block-storage, volumev3, volumev2, volume) carried it.
// Lists are read in parallel where the microversion allows: from 3.45 the first page asks `with_count=true` and
// the response's `count` says how many pages follow, which are then fetched at once by `offset`
// (https://docs.openstack.org/api-ref/block-storage/v3/#list-accessible-volumes-with-details); below 3.45 the
// pages follow each other by marker. Each page is mapped as it arrives and waits for the Cinder list gate
// (http/pagination.ts listGate) when it is expected big (`expectedRecords`, the list's learned size).
import { OpenStackSource } from '../openstack-source.ts';
import { garbled } from '../http/status-error.ts';
import {
  LIST_PAGES_IN_FLIGHT,
  bigPage,
  collectMarkerPages,
  collectOffsetPages,
  hasNextLink,
  pageGate,
  queryString,
  withQuery,
} from '../http/pagination.ts';
import { toCinderQuotaSet, toVolume, toVolumeType, type VolumeRecord } from './map.ts';
import type { QuotaSet, VolumeType } from '../../core/domain.ts';

export const CINDER_PAGE_LIMIT = 1000;
/** The microversion from which `GET /volumes/summary` exists. */
export const SUMMARY_MINOR = 12;
/** The microversion from which a volume list answers `count` when asked `with_count=true`. */
export const WITH_COUNT_MINOR = 45;

export class CinderSource extends OpenStackSource {
  /** GET /volumes/detail: every volume the caller may list: all projects for an admin, its own project otherwise. */
  async listVolumes(filters: Record<string, string | undefined> = {}, expectedRecords?: number): Promise<VolumeRecord[]> {
    const params = { ...(this.caller.isAdmin ? { all_tenants: '1' } : {}), ...filters };
    const api = await this.api('cinder');
    const base = `${api.base}/volumes/detail`;
    // Big pages (from the list's learned size) wait for the process-wide Cinder gate; small ones go at once.
    const gate = pageGate('cinder', bigPage(expectedRecords, CINDER_PAGE_LIMIT, this.upstream.stats.bytesPerRecord('cinder', 'volumes')));
    /** One page, mapped before the next is asked for; the raw array goes out of scope here. */
    const page = (query: Record<string, string | number | undefined>) =>
      gate.run(async () => {
        const res = await this.getList(api, withQuery(base, queryString({ ...params, limit: CINDER_PAGE_LIMIT, ...query })));
        const raw: unknown = res.body?.volumes;
        if (!Array.isArray(raw)) throw garbled('cinder', 'volumes/detail without volumes');
        const count: unknown = res.body.count;
        return { items: raw.map(toVolume), hasNext: hasNextLink(res.body.volumes_links), total: typeof count === 'number' ? count : undefined };
      });
    const minor = api.microversion && api.microversion.major === 3 ? api.microversion.minor : 0;
    if (minor >= WITH_COUNT_MINOR) {
      const all = await collectOffsetPages(
        (offset) => page(offset === 0 ? { with_count: 'true' } : { offset }),
        CINDER_PAGE_LIMIT,
        LIST_PAGES_IN_FLIGHT,
        (v) => v.disk.id,
      );
      if (all) return all;
    }
    return collectMarkerPages(
      (marker) => page({ marker }),
      undefined,
      (v) => v.disk.id,
    );
  }

  /** True when Cinder's negotiated microversion has `GET /volumes/summary` (3.12+). */
  async hasSummary(): Promise<boolean> {
    const api = await this.api('cinder');
    return !!api.microversion && api.microversion.major === 3 && api.microversion.minor >= SUMMARY_MINOR;
  }

  /**
   * GET /volumes/summary: how many volumes the listing with these filters would hold and their total size in GB, in
   * a body of a few dozen bytes whatever the count (3.12+; the listing's scope and filters, no paging).
   * https://docs.openstack.org/api-ref/block-storage/v3/#volumes-summary
   */
  async volumeSummary(filters: Record<string, string | undefined> = {}): Promise<{ count: number; sizeGb: number }> {
    const api = await this.api('cinder');
    const params = { ...(this.caller.isAdmin ? { all_tenants: '1' } : {}), ...filters };
    const res = await this.getList(api, withQuery(`${api.base}/volumes/summary`, queryString(params)));
    const summary = res.body?.['volume-summary'];
    if (!summary || typeof summary.total_size !== 'number' || typeof summary.total_count !== 'number')
      throw garbled('cinder', 'volumes/summary without volume-summary totals');
    return { count: summary.total_count, sizeGb: summary.total_size };
  }

  /** GET /volumes/{id}: one volume, or null when Cinder does not know it (or the caller may not see it). */
  async getVolume(id: string): Promise<VolumeRecord | null> {
    const api = await this.api('cinder');
    const res = await this.getOne(api, `${api.base}/volumes/${encodeURIComponent(id)}`);
    if (res.status === 404) return null;
    if (!res.body?.volume) throw garbled('cinder', 'volume without volume');
    return toVolume(res.body.volume);
  }

  /**
   * GET /types: the volume types the caller may use (public ones for members, every type for admins), with
   * extra specs only where Cinder shows them. https://docs.openstack.org/api-ref/block-storage/v3/#list-all-volume-types
   * Cinder lists an admin public types only unless `is_public=None` is sent (members never see private types,
   * whatever they send), so it is sent for admins.
   */
  async volumeTypes(): Promise<VolumeType[]> {
    const api = await this.api('cinder');
    const res = await this.getList(api, `${api.base}/types${this.caller.isAdmin ? '?is_public=None' : ''}`);
    const raw: unknown = res.body?.volume_types;
    if (!Array.isArray(raw)) throw garbled('cinder', 'types without volume_types');
    return raw.map(toVolumeType);
  }

  /**
   * GET /os-quota-sets/{project_id}?usage=true: limits with in_use and reserved. The URL's own project is the
   * caller's (the API base); the target may differ for admins — Cinder refuses it (403) for members.
   * https://docs.openstack.org/api-ref/block-storage/v3/#show-quota-usage-for-a-project
   */
  async quotaUsage(projectId: string): Promise<QuotaSet> {
    const api = await this.api('cinder');
    const res = await this.getList(api, `${api.base}/os-quota-sets/${encodeURIComponent(projectId)}?usage=true`);
    if (!res.body?.quota_set || typeof res.body.quota_set !== 'object') throw garbled('cinder', 'quota set without quota_set');
    return toCinderQuotaSet(res.body.quota_set);
  }
}
