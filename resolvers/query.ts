// Root fields: Query and Mutation. Thin: unpack arguments, call a loader or datasource, return.
import type { MutationResolvers, QueryResolvers } from './generated-types.ts';
import { MosaicError } from '../core/errors.ts';
import { tenantScope } from '../core/caller.ts';
import { expectGlobalId, intKey } from './global-id.ts';
import { resolveNode, resolveNodes } from './node.ts';
import { instanceConnection } from './instance-connection.ts';
import { computeFleet } from './fleet-stats.ts';
import { requireAdmin } from './authorize.ts';
import { registerOperation } from './register-operation.ts';

/** Accepts a global Instance id or a bare Nova UUID (what consoles and SDKs usually hold). */
const instanceKey = (id: string) =>
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id) ? id : expectGlobalId(id, 'Instance');

export const Query: QueryResolvers = {
  node: (_, { id }, ctx) => resolveNode(ctx, id) as never,
  nodes: (_, { ids }, ctx) => resolveNodes(ctx, ids) as never,
  viewer: (_, __, ctx) => ctx.caller,
  region: (_, __, ctx) => {
    void ctx.caller; // authenticated callers only
    return { name: ctx.services.config.keystone.region };
  },
  zones: (_, __, ctx) => ctx.loaders.zones(),
  zone: async (_, { id }, ctx) => {
    const key = intKey(expectGlobalId(id, 'Zone'));
    return (await ctx.loaders.zones()).find((z) => z.id === key) ?? null;
  },
  host: (_, { id }, ctx) => {
    requireAdmin(ctx.caller, 'Host');
    return ctx.loaders.host.load(intKey(expectGlobalId(id, 'Host')));
  },
  instances: (_, args, ctx) => instanceConnection(ctx, args),
  instance: (_, { id }, ctx) => ctx.loaders.instance.load(instanceKey(id)),
  flavors: (_, __, ctx) => ctx.loaders.flavors(),
  fleet: async (_, __, ctx) => {
    const caller = ctx.caller;
    requireAdmin(caller, 'The fleet dashboard');
    const { value, at } = await ctx.services.fleetCache.get(
      tenantScope(caller),
      () => computeFleet(ctx.loaders),
      (f) => !f.partial,
    );
    return { ...value, computedAt: new Date(at) };
  },
};

export const Mutation: MutationResolvers = {
  login: async (_, { username, password, project }, ctx) => {
    if (!username || !password) throw new MosaicError('MOSAIC_ERR_BAD_ARGUMENT', 'username and password are required');
    const caller = await ctx.services.keystone.login(ctx.upstream, username, password, project ?? undefined);
    return { token: caller.token, expiresAt: caller.expiresAt, viewer: caller };
  },
  registerOperation: (_, { document }, ctx, info) => registerOperation(info.schema, ctx.services.documents, ctx.caller, document),
};
