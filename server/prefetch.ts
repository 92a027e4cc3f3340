// Shape-aware prefetch (issue #8): at the first root field of a query, read the operation's selection set and
// start, at once, the wide lists it will certainly need deeper down, so they travel beside the zones call instead
// of after the hosts: `zones { hosts { instances { disks } } }` costs ~2 sequential rounds instead of 4. Attached
// to the Query type's root resolvers like server/limits/cost-guard.ts (both runtimes alike, with the operation's
// coerced variables), inside the cost guard, so a query refused as too costly starts nothing.
//
// The rule (the loaders export no choice function to ask, so it is the shape alone):
//  - only an administrator's query (every project's servers and volumes are the admin's wide lists);
//  - only under a zone tree nothing narrows: `zones` or `region { zones }` with no argument on any field down the
//    path (`zone(id:)`, `host(id:)`, `node(id:)`, `instances(first:, filter:)` all narrow, and start nothing);
//  - `… hosts { instances }` starts the all-tenants server list (loaders.allServers): every server on every host
//    of every zone is needed, so that list is the union of what any plan of instancesByHost would fetch;
//    `… instances { disks }` starts the all-tenants volume list (loaders.allVolumes) as well;
//  - a field under @skip/@include counts only when the operation's variables include it.
// The lists are started through the loaders' own functions, so they land under the request's once-keys
// (`nova:all`, `cinder:all`): the later batches find them fetched or in flight and fetch nothing twice. The
// dashboard (`fleet`) starts its lists at its root already; a zone console (`zone(id:)`) is narrowed to one zone,
// whose zone-scoped lists the loaders do not export, so neither is prefetched.
// Every request also registers its zone names for Nova's per-zone list split (nova/source.ts splitByZones): the
// region controller's zones list, asked for only when an admin wide list turns out to span several pages.
import {
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  defaultFieldResolver,
  getDirectiveValues,
  getNamedType,
  isObjectType,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLFieldResolver,
  type GraphQLObjectType,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import type { GraphContext } from '../resolvers/context.ts';
import { splitByZones } from '../datasources/nova/source.ts';

/** What the operation will certainly need. */
export interface PrefetchPlan {
  servers: boolean;
  volumes: boolean;
}

/** Field coordinates that lead, unnarrowed, from a wide zone tree to the lists; the value is the next step. */
const STEPS: Record<string, 'zones' | 'hosts' | 'instances' | 'disks'> = {
  'Query.zones': 'zones',
  'Region.zones': 'zones',
  'Zone.hosts': 'hosts',
  'Host.instances': 'instances',
  'Instance.disks': 'disks',
};
/** The step a field must be reached from (Query.region leads to Region.zones). */
const FROM: Record<string, string | null> = { zones: null, hosts: 'zones', instances: 'hosts', disks: 'instances' };

interface Walk {
  schema: GraphQLSchema;
  fragments: Record<string, FragmentDefinitionNode>;
  variables: Record<string, unknown>;
  plan: PrefetchPlan;
}

/** False when @skip/@include leave the node out with these variables. */
function included(node: FieldNode | { directives?: FieldNode['directives'] }, variables: Record<string, unknown>): boolean {
  const skip = getDirectiveValues(GraphQLSkipDirective, node as FieldNode, variables);
  if (skip?.if === true) return false;
  const include = getDirectiveValues(GraphQLIncludeDirective, node as FieldNode, variables);
  return include?.if !== false;
}

/** Visits the fields of a selection set on `type` (fragments expanded), calling `visit` for each. */
function eachField(
  w: Walk,
  type: GraphQLObjectType,
  set: SelectionSetNode,
  visit: (field: FieldNode, type: GraphQLObjectType) => void,
  seen = new Set<string>(),
): void {
  for (const sel of set.selections) {
    if (!included(sel, w.variables)) continue;
    if (sel.kind === 'Field') visit(sel, type);
    else if (sel.kind === 'InlineFragment') {
      const on = sel.typeCondition ? w.schema.getType(sel.typeCondition.name.value) : type;
      if (on === type) eachField(w, type, sel.selectionSet, visit, seen);
    } else {
      const fragment = w.fragments[sel.name.value];
      if (!fragment || seen.has(sel.name.value) || w.schema.getType(fragment.typeCondition.name.value) !== type) continue;
      seen.add(sel.name.value);
      eachField(w, type, fragment.selectionSet, visit, seen);
    }
  }
}

/** Walks down from a field reached at step `at` (null above the zone tree, e.g. under Query.region). */
function descend(w: Walk, field: FieldNode, type: GraphQLObjectType, at: string | null): void {
  const def = type.getFields()[field.name.value];
  if (!def || !field.selectionSet || (field.arguments?.length ?? 0) > 0) return;
  const next = getNamedType(def.type);
  if (!isObjectType(next)) return;
  eachField(w, next, field.selectionSet, (child, childType) => {
    const step = STEPS[`${childType.name}.${child.name.value}`];
    if (!step || FROM[step] !== at || (child.arguments?.length ?? 0) > 0) return;
    if (step === 'instances') w.plan.servers = true;
    if (step === 'disks') w.plan.volumes = true;
    descend(w, child, childType, step);
  });
}

/** The wide lists an operation will certainly need (exported for the tests). */
export function prefetchPlan(info: Pick<GraphQLResolveInfo, 'schema' | 'operation' | 'fragments' | 'variableValues'>): PrefetchPlan {
  const plan: PrefetchPlan = { servers: false, volumes: false };
  const query = info.schema.getQueryType();
  if (info.operation.operation !== 'query' || !query) return plan;
  const w: Walk = { schema: info.schema, fragments: info.fragments, variables: info.variableValues, plan };
  eachField(w, query, info.operation.selectionSet, (field) => {
    if (field.name.value === 'zones') {
      if ((field.arguments?.length ?? 0) === 0) descend(w, field, query, 'zones');
    } else if (field.name.value === 'region') descend(w, field, query, null);
  });
  return plan;
}

const started = new WeakSet<object>();
const wrapped = new WeakSet<GraphQLSchema>();
const ignore = () => {};

/** Once per request: the zone split registration and the prefetch the plan asks for. */
function start(ctx: GraphContext, info: GraphQLResolveInfo): void {
  if (started.has(ctx)) return;
  started.add(ctx);
  const caller = ctx.callerOrNull;
  if (!caller) return;
  splitByZones(ctx.upstream, async () => (await ctx.loaders.zones()).map((z) => z.name));
  if (!caller.isAdmin) return;
  const plan = prefetchPlan(info);
  // The resolvers that need these lists await the same promises and report their failures at their own paths.
  if (plan.servers) ctx.loaders.allServers().catch(ignore);
  if (plan.volumes) ctx.loaders.allVolumes().catch(ignore);
}

/** Wraps the Query type's root resolvers once; the schema is shared by every gateway in the process. */
export function withPrefetch(schema: GraphQLSchema): GraphQLSchema {
  if (wrapped.has(schema)) return schema;
  wrapped.add(schema);
  const query = schema.getQueryType();
  if (!query) return schema;
  for (const field of Object.values(query.getFields())) {
    const inner = (field.resolve ?? defaultFieldResolver) as GraphQLFieldResolver<unknown, GraphContext>;
    field.resolve = ((source, args, ctx: GraphContext, info) => {
      start(ctx, info);
      return inner(source, args, ctx, info);
    }) as GraphQLFieldResolver<unknown, unknown>;
  }
  return schema;
}
