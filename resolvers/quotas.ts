// Project.quotas: a project's quotas and usage, one part per service (Nova, Cinder, Neutron), each loaded on its
// own so one failing or refusing service nulls only its part. Members may read their own project's, administrators
// any (README "Tenancy"); the gateway refuses another project's before any call, and the services, which get the
// caller's token, would refuse it too. Upstream names → schema names are the tables below.
import type {
  ComputeQuotasResolvers,
  NetworkQuotasResolvers,
  ProjectQuotasResolvers,
  ProjectResolvers,
  VolumeQuotasResolvers,
} from './generated-types.ts';
import type { QuotaSet } from '../core/domain.ts';
import { requireOwnProject } from './authorize.ts';

/** Resolvers reading `upstream key` of a quota set for each schema field. */
function fields<R>(names: Record<string, string>): R {
  return Object.fromEntries(Object.entries(names).map(([field, key]) => [field, (q: QuotaSet) => q[key] ?? null])) as R;
}

export const ComputeQuotas = fields<ComputeQuotasResolvers>({
  instances: 'instances',
  cores: 'cores',
  ramMb: 'ram',
  keyPairs: 'key_pairs',
  metadataItems: 'metadata_items',
  serverGroups: 'server_groups',
  serverGroupMembers: 'server_group_members',
});

export const VolumeQuotas = fields<VolumeQuotasResolvers>({
  volumes: 'volumes',
  gigabytes: 'gigabytes',
  snapshots: 'snapshots',
  backups: 'backups',
  backupGigabytes: 'backup_gigabytes',
  perVolumeGigabytes: 'per_volume_gigabytes',
  groups: 'groups',
});

export const NetworkQuotas = fields<NetworkQuotasResolvers>({
  networks: 'network',
  subnets: 'subnet',
  ports: 'port',
  routers: 'router',
  floatingIps: 'floatingip',
  securityGroups: 'security_group',
  securityGroupRules: 'security_group_rule',
});

export const ProjectQuotas: ProjectQuotasResolvers = {
  compute: (p, _, ctx) => ctx.loaders.computeQuota.load(p.projectId),
  volume: (p, _, ctx) => ctx.loaders.volumeQuota.load(p.projectId),
  network: (p, _, ctx) => ctx.loaders.networkQuota.load(p.projectId),
};

/** Merged into resources.ts's Project in index.ts. */
export const ProjectQuotasEdge: ProjectResolvers = {
  quotas: (p, _, ctx) => {
    requireOwnProject(ctx.caller, p.id);
    return { projectId: p.id };
  },
};
