// Cinder (block storage v3): volumes. https://docs.openstack.org/api-ref/block-storage/v3/
// Facts handled here: `bootable` is the string "true"/"false"; attachments carry `server_id`; there is no
// filter for many ids or many servers, so a batch is either single GETs or one list over a wider scope
// (`all_tenants=1` for admins, the caller's project otherwise), grouped locally. Pages are capped at
// osapi_max_limit (1000) with volumes_links rel=next only when a page is full.
import { OpenStackSource } from './openstack-source.ts';
import { garbled, type UpstreamClient } from './http.ts';
import type { Disk } from './domain.ts';
import { parseOpenStackTime } from './domain.ts';
import { collectMarkerPages, hasNextLink, queryString, withQuery } from './paginate.ts';

export const CINDER_PAGE_LIMIT = 1000;

export interface VolumeRecord { disk: Disk; attachedTo: { serverId: string; device: string | null }[] }

export function toVolume(v: any): VolumeRecord {
  const attachments: any[] = Array.isArray(v.attachments) ? v.attachments : [];
  const first = attachments[0];
  return {
    disk: {
      backend: 'CINDER', id: v.id, name: v.name ?? null, sizeGb: v.size, status: v.status, volumeType: v.volume_type ?? null,
      bootable: v.bootable === 'true' || v.bootable === true, device: first?.device ?? null, instanceId: first?.server_id ?? null,
      projectId: v['os-vol-tenant-attr:tenant_id'] ?? null, zoneName: v.availability_zone ?? null, createdAt: parseOpenStackTime(v.created_at),
    },
    attachedTo: attachments.map((a) => ({ serverId: a.server_id, device: a.device ?? null })),
  };
}

export class CinderSource extends OpenStackSource {
  /** Every volume the caller may list: all projects for an admin, its own project otherwise. */
  async listVolumes(filters: Record<string, string | undefined> = {}): Promise<VolumeRecord[]> {
    const params = { ...(this.caller.isAdmin ? { all_tenants: '1' } : {}), ...filters };
    const base = `${this.baseUrl}/volumes/detail`;
    const raw = await collectMarkerPages<any>(async (marker) => {
      const res = await this.upstream.get('cinder', withQuery(base, queryString({ ...params, limit: CINDER_PAGE_LIMIT, marker })), this.headers);
      if (!Array.isArray(res.body?.volumes)) throw garbled('cinder', 'volumes/detail without volumes');
      return { items: res.body.volumes, hasNext: hasNextLink(res.body.volumes_links) };
    });
    return raw.map(toVolume);
  }

  async getVolume(id: string): Promise<VolumeRecord | null> {
    const res = await this.upstream.get('cinder', `${this.baseUrl}/volumes/${encodeURIComponent(id)}`, this.headers, [404]);
    if (res.status === 404) return null;
    return toVolume(res.body.volume);
  }
}
