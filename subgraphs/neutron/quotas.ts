// Neutron's quota details: GET /v2.0/quotas/{project_id}/details.json — per resource `{used, limit, reserved}`,
// the usage counted from the cloud's current state. https://docs.openstack.org/api-ref/network/v2/#quotas-details-extension-quota-details
// Limits are Neutron's defaults (neutron/conf/quota.py; -1 is unlimited). Policy `get_quota`: admins any project,
// members their own; another project's is a 403 PolicyNotAuthorized. Neutron does not check that the project
// exists: an unknown id gets the defaults and no usage.
import { randomUUID } from 'node:crypto';
import type { EmulatorReply, EmulatorRequest } from '../emulator/emulator-server.ts';
import type { Caller } from '../emulator/openstack-auth.ts';
import type { Cloud } from '../seed/types.ts';
import { NeutronError } from './query.ts';
import { securityGroups } from './security-groups.ts';

export const NEUTRON_DEFAULT_QUOTAS: Record<string, number> = {
  floatingip: 50,
  network: 100,
  port: 500,
  rbac_policy: 10,
  router: 10,
  security_group: 10,
  security_group_rule: 100,
  subnet: 100,
  subnetpool: -1,
};

function usage(cloud: Cloud, projectId: string): Record<string, number> {
  const groups = securityGroups(cloud).filter((g) => g.projectId === projectId);
  const networks = cloud.networks.filter((n) => n.projectId === projectId).length;
  return {
    floatingip: cloud.floatingIps.filter((f) => f.projectId === projectId).length,
    network: networks,
    port: cloud.ports.filter((p) => p.projectId === projectId).length,
    rbac_policy: 0,
    router: 0,
    security_group: groups.length,
    security_group_rule: groups.reduce((n, g) => n + g.rules.length, 0),
    // One subnet per network in this cloud (subnets.ts).
    subnet: networks,
    subnetpool: 0,
  };
}

export function quotaDetails(cloud: Cloud, caller: Caller, req: EmulatorRequest): EmulatorReply {
  const projectId = req.params.project_id;
  if (!caller.isAdmin && projectId !== caller.projectId) throw new NeutronError(403, 'PolicyNotAuthorized', 'rule:get_quota is disallowed by policy');
  const used = usage(cloud, projectId);
  const quota = Object.fromEntries(Object.entries(NEUTRON_DEFAULT_QUOTAS).map(([k, limit]) => [k, { used: used[k] ?? 0, limit, reserved: 0 }]));
  return { status: 200, headers: { 'content-type': 'application/json', 'x-openstack-request-id': `req-${randomUUID()}` }, body: { quota } };
}
