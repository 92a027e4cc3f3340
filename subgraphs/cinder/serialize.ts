// Cinder v3 volume JSON, field for field as the block-storage API reference samples
// (volumes-list-detailed-response.v3.69.json, volume-create-response.v3.69.json) and the view builders
// cinder/api/v2/views/volumes.py + cinder/api/v3/views/volumes.py produce them:
// https://docs.openstack.org/api-ref/block-storage/v3/#list-accessible-volumes-with-details
//
// What depends on the caller (default policy, cinder/policies/volumes.py):
//   - `os-vol-tenant-attr:tenant_id`: admin or owner, so every caller sees it on the volumes it can see;
//   - `os-vol-host-attr:host`, `os-vol-mig-status-attr:*`, `migration_status`: admin only;
//   - `attachments[].host_name`: null for non-admins;
//   - `provider_id` (3.21+) and `cluster_name` (3.61+): admin only.
// What depends on the microversion: group_id 3.13, provider_id 3.21, shared_targets/service_uuid 3.48,
// cluster_name 3.61, volume_type_id 3.63, consumes_quota 3.65.
// Dates are Python datetimes serialised by oslo jsonutils: no zone, always microseconds.
//
// The serialised JSON of each volume is cached per (volume state, caller variant), so the gateway's
// `volumes/detail?all_tenants=1` walk over a medium cloud joins cached strings instead of re-encoding.
import { createHash } from 'node:crypto';
import type { Volume } from '../seed/types.ts';

export interface CinderView {
  isAdmin: boolean;
  /** Requested microversion as minor number of 3.x (3.0 → 0, 3.69 → 69). */
  minor: number;
  /** `http://host:port` the request came in on; links are built from it and the caller's project. */
  origin: string;
  /** The caller's project: Cinder builds every link from the context's project, not the volume's. */
  projectId: string;
}

/** Microversion thresholds that change the volume body; the cache keys on which of them a request passes. */
const THRESHOLDS = [13, 21, 48, 61, 63, 65];

/** Python's datetime.isoformat via oslo jsonutils: `2018-11-28T06:25:15.288987`. */
export function cinderTime(date: Date | null): string | null {
  if (!date) return null;
  const iso = date.toISOString();
  return `${iso.slice(0, 19)}.${iso.slice(20, 23)}000`;
}

/** A stable UUID derived from a name, for ids the seed does not model (volume types, backend services). */
export function stableUuid(name: string): string {
  const h = createHash('sha1').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const backendOf = (v: Volume) => (v.volumeType === 'hdd' ? 'lvm' : 'ceph');

/** Extra state the seed does not model (request metadata of volumes created through the API). */
export const volumeMetadata = new WeakMap<Volume, Record<string, string>>();

function links(view: CinderView, id: string) {
  return [
    { href: `${view.origin}/v3/${view.projectId}/volumes/${id}`, rel: 'self' },
    { href: `${view.origin}/${view.projectId}/volumes/${id}`, rel: 'bookmark' },
  ];
}

/** The detail body of one volume; `withExtensions` false gives the create response (no os-vol-* attributes). */
export function volumeDetail(v: Volume, view: CinderView, withExtensions = true): Record<string, unknown> {
  const creating = v.status === 'creating';
  const body: Record<string, unknown> = {
    attachments: v.attachments.map((a) => ({
      id: v.id,
      attachment_id: a.id,
      volume_id: v.id,
      server_id: a.serverId,
      host_name: view.isAdmin ? a.hostName : null,
      device: a.device,
      attached_at: cinderTime(a.attachedAt),
    })),
    availability_zone: v.zone,
    bootable: v.bootable ? 'true' : 'false',
    consistencygroup_id: null,
    created_at: cinderTime(v.createdAt),
    description: v.description,
    encrypted: false,
    id: v.id,
    links: links(view, v.id),
    metadata: volumeMetadata.get(v) ?? {},
  };
  if (view.isAdmin) body.migration_status = null;
  body.multiattach = false;
  body.name = v.name;
  if (withExtensions) {
    if (view.isAdmin) {
      body['os-vol-host-attr:host'] = creating ? null : `cinder-${v.zone}@${backendOf(v)}#${backendOf(v)}`;
      body['os-vol-mig-status-attr:migstat'] = null;
      body['os-vol-mig-status-attr:name_id'] = null;
    }
    body['os-vol-tenant-attr:tenant_id'] = v.projectId;
  }
  Object.assign(body, {
    replication_status: null,
    size: v.size,
    snapshot_id: null,
    source_volid: null,
    status: v.status,
    updated_at: cinderTime(v.updatedAt),
    user_id: v.userId,
    volume_type: v.volumeType,
  });
  if (view.minor >= 63) body.volume_type_id = stableUuid(`volume-type:${v.volumeType}`);
  if (view.minor >= 21 && view.isAdmin) body.provider_id = null;
  if (view.minor >= 13) body.group_id = null;
  if (view.minor >= 48) {
    body.service_uuid = creating ? null : stableUuid(`cinder-volume:${v.zone}:${backendOf(v)}`);
    body.shared_targets = creating ? null : backendOf(v) === 'lvm';
  }
  if (view.minor >= 61 && view.isAdmin) body.cluster_name = null;
  if (view.minor >= 65) body.consumes_quota = true;
  return body;
}

/** The summary body (`GET /volumes`): id, name and links only. */
export function volumeSummary(v: Volume, view: CinderView): Record<string, unknown> {
  return { id: v.id, name: v.name, links: links(view, v.id) };
}

interface CacheSlot {
  stamp: string;
  variants: Map<string, string>;
}
const cache = new WeakMap<Volume, CacheSlot>();

/**
 * The JSON text of a volume's detail (or summary) body, from cache when neither the volume nor the
 * caller variant changed. `rev` is the contract for writers (bump it on every change); status and the
 * attachment count are in the stamp as well, so a writer that forgets still cannot serve a stale body.
 */
export function volumeJson(v: Volume, view: CinderView, detail: boolean): string {
  const stamp = `${v.rev}|${v.status}|${v.attachments.length}|${v.name}|${v.size}`;
  let slot = cache.get(v);
  if (!slot || slot.stamp !== stamp) {
    slot = { stamp, variants: new Map() };
    cache.set(v, slot);
  }
  let bucket = 0;
  for (const t of THRESHOLDS) if (view.minor >= t) bucket++;
  const key = `${detail ? 'd' : 's'}|${view.isAdmin ? 1 : 0}|${bucket}|${view.origin}|${view.projectId}`;
  let json = slot.variants.get(key);
  if (json === undefined) {
    json = JSON.stringify(detail ? volumeDetail(v, view) : volumeSummary(v, view));
    slot.variants.set(key, json);
  }
  return json;
}
