// Cinder JSON → domain. https://docs.openstack.org/api-ref/block-storage/v3/#list-accessible-volumes-with-details
// `bootable` is the string "true"/"false"; `attachments[]` name the server and device of each attachment; the
// owning project is `os-vol-tenant-attr:tenant_id` (admin view). `attachments` holds completed attachments only
// (cinder/api/v2/views/volumes.py): a volume `attaching` or `reserved` has none yet, one `detaching` still has
// its own; `host_name` is null for non-admins. `encrypted` and `multiattach` are booleans on every v3 body.
import type { Disk, DiskAttachment, QuotaSet, VolumeType } from '../../core/domain.ts';
import { parseOpenStackTime } from '../openstack-time.ts';

export interface VolumeRecord {
  disk: Disk;
  attachedTo: { serverId: string; device: string | null }[];
}

export function toVolume(v: any): VolumeRecord {
  const attachments: any[] = Array.isArray(v.attachments) ? v.attachments : [];
  const first = attachments[0];
  const all: DiskAttachment[] = attachments
    .filter((a) => typeof a?.server_id === 'string')
    .map((a) => ({
      instanceId: a.server_id,
      device: a.device ?? null,
      hostName: a.host_name ?? null,
      attachedAt: parseOpenStackTime(a.attached_at),
    }));
  return {
    disk: {
      backend: 'CINDER',
      id: v.id,
      name: v.name ?? null,
      sizeGb: v.size,
      status: v.status,
      volumeType: v.volume_type ?? null,
      bootable: v.bootable === 'true' || v.bootable === true,
      encrypted: typeof v.encrypted === 'boolean' ? v.encrypted : null,
      multiattach: typeof v.multiattach === 'boolean' ? v.multiattach : null,
      attachments: all,
      device: first?.device ?? null,
      instanceId: first?.server_id ?? null,
      projectId: v['os-vol-tenant-attr:tenant_id'] ?? null,
      zoneName: v.availability_zone ?? null,
      createdAt: parseOpenStackTime(v.created_at),
    },
    attachedTo: attachments.map((a) => ({ serverId: a.server_id, device: a.device ?? null })),
  };
}

/**
 * https://docs.openstack.org/api-ref/block-storage/v3/#show-volume-type-detail — `extra_specs` is absent unless
 * the caller may read them (admins by default policy): null then, not `{}`, which would claim "no specs".
 */
export function toVolumeType(t: any): VolumeType {
  const specs = t.extra_specs;
  return {
    id: t.id,
    name: t.name ?? '',
    description: typeof t.description === 'string' ? t.description : null,
    isPublic: (t.is_public ?? t['os-volume-type-access:is_public']) !== false,
    extraSpecs: specs && typeof specs === 'object' ? { ...specs } : null,
  };
}

/** A quota set read with `usage=true`: `{"volumes": {"limit", "in_use", "reserved", "allocated"}, …}` (skips `id`). */
export function toCinderQuotaSet(q: Record<string, any>): QuotaSet {
  const out: QuotaSet = {};
  for (const [k, v] of Object.entries(q)) {
    if (v && typeof v === 'object' && typeof v.limit === 'number') {
      out[k] = { limit: v.limit, inUse: typeof v.in_use === 'number' ? v.in_use : 0, reserved: typeof v.reserved === 'number' ? v.reserved : 0 };
    }
  }
  return out;
}
