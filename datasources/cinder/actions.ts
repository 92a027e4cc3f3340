// Cinder writes, for operations (datasources/operations/): create and delete volumes, and the reads that tell an
// operation where it stands. https://docs.openstack.org/api-ref/block-storage/v3/
//  - Create answers 202 with the volume in `creating`; it becomes `available` (or `error`), delete answers 202
//    and the volume goes `deleting` until it is gone (the api-ref, "Volumes").
//  - Writes are never retried (http/retry-policy.ts). A volume carries the operation's idempotency key in its
//    metadata, and `GET /volumes/detail?metadata={"k":"v"}` finds it after an ambiguous failure.
//  - The URL's project is the token's own (Cinder answers 400 otherwise); an administrator sees other projects'
//    volumes by id, and lists them with all_tenants.
import { OpenStackSource } from '../openstack-source.ts';
import { garbled } from '../http/status-error.ts';
import { queryString, withQuery } from '../http/pagination.ts';

export interface VolumeState {
  id: string;
  status: string;
  projectId: string | null;
  attachments: { serverId: string; device: string | null }[];
}

const toState = (v: any): VolumeState => ({
  id: v.id,
  status: v.status,
  projectId: v['os-vol-tenant-attr:tenant_id'] ?? null,
  attachments: (Array.isArray(v.attachments) ? v.attachments : []).map((a: any) => ({ serverId: a.server_id, device: a.device ?? null })),
});

export class CinderActions extends OpenStackSource {
  /** POST /volumes: the new volume's id. */
  async createVolume(volume: Record<string, unknown>): Promise<string> {
    const { base, headers } = await this.target('cinder');
    const res = await this.upstream.request('cinder', { method: 'POST', url: `${base}/volumes`, headers, json: { volume } });
    const id = res.body?.volume?.id;
    if (typeof id !== 'string') throw garbled('cinder', 'create volume without volume.id');
    return id;
  }

  /** DELETE /volumes/{id} (202). */
  async deleteVolume(id: string): Promise<void> {
    const { base, headers } = await this.target('cinder');
    await this.upstream.request('cinder', { method: 'DELETE', url: `${base}/volumes/${encodeURIComponent(id)}`, headers });
  }

  /** GET /volumes/{id}, or null when Cinder does not know it. */
  async volumeState(id: string): Promise<VolumeState | null> {
    const { base, headers } = await this.target('cinder');
    const res = await this.upstream.get('cinder', `${base}/volumes/${encodeURIComponent(id)}`, headers, [404]);
    if (res.status === 404) return null;
    return toState(res.body.volume);
  }

  /** Volumes of `projectId` whose metadata holds key = value. */
  async volumesWithMetadata(key: string, value: string, projectId: string): Promise<VolumeState[]> {
    const { base, headers } = await this.target('cinder');
    const scope = this.caller.isAdmin ? { all_tenants: '1' } : {};
    const url = withQuery(`${base}/volumes/detail`, queryString({ ...scope, metadata: JSON.stringify({ [key]: value }), limit: 1000 }));
    const res = await this.upstream.get('cinder', url, headers);
    if (!Array.isArray(res.body?.volumes)) throw garbled('cinder', 'volumes/detail without volumes');
    // Checked here too: a Cinder that ignores the `metadata` filter answers every volume, and none of those may
    // pass for the one this key created.
    return (res.body.volumes as any[])
      .filter((v) => v?.metadata?.[key] === value)
      .map(toState)
      .filter((v) => v.projectId === null || v.projectId === projectId);
  }
}
