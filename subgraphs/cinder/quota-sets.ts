// Cinder quota sets: GET /v3/{project_id}/os-quota-sets/{target_project_id}[?usage=true], with usage counted
// from the cloud's volumes. https://docs.openstack.org/api-ref/block-storage/v3/#show-quota-usage-for-a-project
// Limits are Cinder's defaults (cinder/quota.py; -1 is unlimited), with per-type keys (`volumes_<type>`…) for every
// public type. Policy volume_extension:quotas:show: admins any project, members their own (403 otherwise).
// With usage=true each resource is {limit, in_use, reserved, allocated}; without, the limit alone.
import type { EmulatorReply, EmulatorRequest } from '../emulator/emulator-server.ts';
import type { Caller } from '../emulator/openstack-auth.ts';
import type { Cloud } from '../seed/types.ts';
import { CinderFault } from './list.ts';
import { VOLUME_TYPE_DEFS } from './volume-types.ts';

export const CINDER_DEFAULT_QUOTAS: Record<string, number> = {
  volumes: 10,
  snapshots: 10,
  gigabytes: 1000,
  backups: 10,
  backup_gigabytes: 1000,
  per_volume_gigabytes: -1,
  groups: 10,
};

export function showQuotaSet(cloud: Cloud, req: EmulatorRequest, caller: Caller): EmulatorReply {
  const target = req.params.target_project_id;
  if (!caller.isAdmin && target !== caller.projectId) {
    throw new CinderFault(403, "Policy doesn't allow volume_extension:quotas:show to be performed.");
  }
  const volumes = cloud.volumes.filter((v) => v.projectId === target && v.status !== 'deleting');
  const inUse: Record<string, number> = {
    volumes: volumes.length,
    gigabytes: volumes.reduce((n, v) => n + v.size, 0),
  };
  const limits: Record<string, number> = { ...CINDER_DEFAULT_QUOTAS };
  for (const t of VOLUME_TYPE_DEFS.filter((x) => x.isPublic)) {
    const ofType = volumes.filter((v) => v.volumeType === t.name);
    for (const k of ['volumes', 'gigabytes', 'snapshots']) limits[`${k}_${t.name}`] = -1;
    inUse[`volumes_${t.name}`] = ofType.length;
    inUse[`gigabytes_${t.name}`] = ofType.reduce((n, v) => n + v.size, 0);
  }
  const usage = ['true', '1', 'yes', 't', 'on', 'y'].includes((req.query.get('usage') ?? '').toLowerCase());
  const quotaSet: Record<string, unknown> = { id: target };
  for (const [k, limit] of Object.entries(limits)) {
    quotaSet[k] = usage ? { reserved: 0, allocated: 0, limit, in_use: k === 'per_volume_gigabytes' ? 0 : (inUse[k] ?? 0) } : limit;
  }
  return { status: 200, headers: { 'content-type': 'application/json' }, body: { quota_set: quotaSet } };
}
