// Cinder (block storage v3) calls: volumes. https://docs.openstack.org/api-ref/block-storage/v3/
// There is no filter for many ids or many servers, so a batch is either single GETs or one list over a wider
// scope (`all_tenants=1` for admins, the caller's project otherwise), grouped locally (cinder/loaders.ts). Pages
// are capped at osapi_max_limit (1000) with volumes_links rel=next only when a page is full. The endpoint and
// the `volume 3.X` microversion (the highest of 3.0–3.70 Cinder offers) come from its version document
// (openstack-source.ts api()), whichever catalog type (block-storage, volumev3, volumev2, volume) carried it.
import { OpenStackSource } from '../openstack-source.ts';
import { garbled } from '../http/status-error.ts';
import { collectMarkerPages, hasNextLink, queryString, withQuery } from '../http/pagination.ts';
import { toVolume, type VolumeRecord } from './map.ts';

export const CINDER_PAGE_LIMIT = 1000;

export class CinderSource extends OpenStackSource {
  /** GET /volumes/detail: every volume the caller may list: all projects for an admin, its own project otherwise. */
  async listVolumes(filters: Record<string, string | undefined> = {}): Promise<VolumeRecord[]> {
    const params = { ...(this.caller.isAdmin ? { all_tenants: '1' } : {}), ...filters };
    const api = await this.api('cinder');
    const base = `${api.base}/volumes/detail`;
    const raw = await collectMarkerPages<any>(async (marker) => {
      const res = await this.getList(api, withQuery(base, queryString({ ...params, limit: CINDER_PAGE_LIMIT, marker })));
      if (!Array.isArray(res.body?.volumes)) throw garbled('cinder', 'volumes/detail without volumes');
      return { items: res.body.volumes, hasNext: hasNextLink(res.body.volumes_links) };
    });
    return raw.map(toVolume);
  }

  /** GET /volumes/{id}: one volume, or null when Cinder does not know it (or the caller may not see it). */
  async getVolume(id: string): Promise<VolumeRecord | null> {
    const api = await this.api('cinder');
    const res = await this.getOne(api, `${api.base}/volumes/${encodeURIComponent(id)}`);
    if (res.status === 404) return null;
    if (!res.body?.volume) throw garbled('cinder', 'volume without volume');
    return toVolume(res.body.volume);
  }
}
