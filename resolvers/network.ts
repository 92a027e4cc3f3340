// Networks, subnets and security groups from Neutron, and the edges into them from ports (Port.network,
// FixedIp.subnet). Neutron decides what the caller sees (its token is forwarded): own, shared and external networks
// and their subnets; the caller's project's security groups. The edges go through per-request loaders, so every
// Port.network of one level is one `GET /v2.0/networks?id=…&id=…` (chunked under the URL budget).
// https://docs.openstack.org/api-ref/network/v2/
import type {
  FixedIpResolvers,
  InstanceResolvers,
  NetworkResolvers,
  PortResolvers,
  QueryNetworksArgs,
  QueryResolvers,
  QuerySecurityGroupsArgs,
  SecurityGroupResolvers,
  SubnetResolvers,
} from './generated-types.ts';
import type { GraphContext } from './context.ts';
import type { SecurityGroup as SecurityGroupRecord, Subnet as SubnetRecord } from '../core/domain.ts';
import { MosaicError } from '../core/errors.ts';
import { requireOwnProject } from './authorize.ts';
import { toGlobalId } from './global-id.ts';

export const DEFAULT_LIST = 100;
export const MAX_LIST = 1000;

const bad = (message: string) => new MosaicError('MOSAIC_ERR_BAD_ARGUMENT', message);

function limitOf(first: number | null | undefined): number {
  const n = first ?? DEFAULT_LIST;
  if (!Number.isInteger(n) || n < 1 || n > MAX_LIST) throw bad(`first must be an integer from 1 to ${MAX_LIST}`);
  return n;
}

function text(name: string, value: string | null | undefined, max = 255): string | undefined {
  if (value == null) return undefined;
  if (value.length === 0 || value.length > max) throw bad(`${name} must be 1 to ${max} characters`);
  return value;
}

const bool = (v: boolean | null | undefined) => (v == null ? undefined : v ? 'true' : 'false');

async function networks(ctx: GraphContext, { filter, first }: QueryNetworksArgs) {
  const limit = limitOf(first);
  const f = filter ?? {};
  return ctx.loaders.networkList(
    {
      name: text('name', f.name),
      shared: bool(f.shared),
      'router:external': bool(f.external),
      status: text('status', f.status, 16),
      project_id: text('projectId', f.projectId, 64),
    },
    limit,
  );
}

async function securityGroups(ctx: GraphContext, { filter, first }: QuerySecurityGroupsArgs) {
  const limit = limitOf(first);
  const f = filter ?? {};
  requireOwnProject(ctx.caller, f.projectId);
  return ctx.loaders.securityGroupList({ name: text('name', f.name), project_id: text('projectId', f.projectId, 64) }, limit);
}

export const networkQueries: Pick<QueryResolvers, 'networks' | 'securityGroups'> = {
  networks: (_, args, ctx) => networks(ctx, args),
  securityGroups: (_, args, ctx) => securityGroups(ctx, args),
};

export const Network: NetworkResolvers = {
  id: (n) => toGlobalId('Network', n.id),
  networkId: (n) => n.id,
  // Subnets the caller cannot see (Neutron leaves them out) are skipped; a failed lookup fails the field.
  subnets: async (n, _, ctx) => {
    const loaded = await ctx.loaders.subnet.loadMany(n.subnetIds);
    const failed = loaded.find((s) => s instanceof Error);
    if (failed) throw failed;
    return loaded.filter((s): s is SubnetRecord => s !== null);
  },
  project: (n, _, ctx) => (n.projectId ? ctx.loaders.project.load(n.projectId) : null),
};

export const Subnet: SubnetResolvers = {
  id: (s) => toGlobalId('Subnet', s.id),
  subnetId: (s) => s.id,
  network: (s, _, ctx) => ctx.loaders.network.load(s.networkId),
};

export const SecurityGroup: SecurityGroupResolvers = {
  id: (g) => toGlobalId('SecurityGroup', g.id),
  securityGroupId: (g) => g.id,
};

/** Port's edge to its network (merged into resources.ts's Port in index.ts). */
export const PortNetwork: PortResolvers = {
  network: (p, _, ctx) => ctx.loaders.network.load(p.networkId),
};

export const FixedIp: FixedIpResolvers = {
  subnet: (f, _, ctx) => ctx.loaders.subnet.load(f.subnetId),
};

/**
 * Instance.securityGroupObjects (merged into compute.ts's Instance in index.ts): Nova derives a server's groups from
 * its ports, so do we — the ports of a level in one Neutron call (portsByInstance), their groups in one more.
 */
export const InstanceSecurityGroups: InstanceResolvers = {
  securityGroupObjects: async (i, _, ctx) => {
    const ports = await ctx.loaders.portsByInstance.load(i.id);
    const ids = [...new Set(ports.flatMap((p) => p.securityGroupIds ?? []))];
    const groups = await ctx.loaders.securityGroup.loadMany(ids);
    const failed = groups.find((g) => g instanceof Error);
    if (failed) throw failed;
    return groups.filter((g): g is SecurityGroupRecord => g !== null);
  },
};
