// Nova quota sets: GET /os-quota-sets/{project_id} and /os-quota-sets/{project_id}/detail, with usage counted from
// the cloud's servers. https://docs.openstack.org/api-ref/compute/#show-the-detail-of-quota
// Limits are Nova's defaults (nova/conf/quota.py; -1 is unlimited). The keys follow the microversion: from 2.36
// the proxied network quotas (fixed_ips, floating_ips, security_groups, security_group_rules, networks) are gone,
// from 2.57 the injected_file* ones. Policy os_compute_api:os-quota-sets:show/detail: admins any project, members
// their own; another project's is a 403. Nova does not check that the project exists (an unknown id gets defaults).
import type { EmulatorReply } from '../emulator/emulator-server.ts';
import type { NovaContext } from './common.ts';
import { policyForbidden } from './common.ts';

const DEFAULTS: [key: string, limit: number, until?: number][] = [
  ['cores', 20],
  ['fixed_ips', -1, 36],
  ['floating_ips', 10, 36],
  ['injected_file_content_bytes', 10240, 57],
  ['injected_file_path_bytes', 255, 57],
  ['injected_files', 5, 57],
  ['instances', 10],
  ['key_pairs', 100],
  ['metadata_items', 128],
  ['networks', -1, 36],
  ['ram', 51200],
  ['security_group_rules', 20, 36],
  ['security_groups', 10, 36],
  ['server_group_members', 10],
  ['server_groups', 10],
];

function quotaSet(ctx: NovaContext, detail: boolean): EmulatorReply {
  const projectId = ctx.req.params.id;
  const rule = `os_compute_api:os-quota-sets:${detail ? 'detail' : 'show'}`;
  if (!ctx.caller.isAdmin && projectId !== ctx.caller.projectId) return policyForbidden(rule);
  const { cloud } = ctx.state;
  const flavors = new Map(cloud.flavors.map((f) => [f.id, f]));
  const servers = cloud.servers.filter((s) => s.projectId === projectId && s.status !== 'DELETED');
  const inUse: Record<string, number> = {
    instances: servers.length,
    cores: servers.reduce((n, s) => n + (flavors.get(s.flavorId)?.vcpus ?? 0), 0),
    ram: servers.reduce((n, s) => n + (flavors.get(s.flavorId)?.ram ?? 0), 0),
  };
  const body: Record<string, unknown> = { id: projectId };
  for (const [key, limit, until] of DEFAULTS) {
    if (until !== undefined && ctx.mv >= until) continue;
    body[key] = detail ? { in_use: inUse[key] ?? 0, limit, reserved: 0 } : limit;
  }
  return { status: 200, headers: { 'content-type': 'application/json' }, body: { quota_set: body } };
}

export const showQuotaSet = (ctx: NovaContext) => quotaSet(ctx, false);
export const showQuotaSetDetail = (ctx: NovaContext) => quotaSet(ctx, true);
