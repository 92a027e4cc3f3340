// What an operation will fetch, estimated before anything runs: the number of values its answer will hold
// (each object and each leaf counts one), with every list multiplied by the length it is expected to have. A
// list's length comes from, in order: the ids it was asked for (`nodes(ids:)`), its own `first` when the list
// field itself takes one (`networks(first:)`: a plain list that long, at most MAX_LIST_FIRST), the `first` of the
// connection above it (capping what was learned), what this tenant scope's answers have shown (datasources/planner/
// cardinality.ts), or — for lists never seen — the schema's `@listSize(assumedSize:)`, else a prior of 10. The walk is linear in the document: each fragment is costed
// once per cap and its figure reused wherever it is spread (cost(F, under m parents) = m × cost(F)), so chains of
// fragments spreading each other twice cost no more to estimate than to read. Aliases count separately (they are
// bounded by server.maxAliases); abstract selections add up every type condition (an upper bound). A field that
// makes upstream calls of its own per object it resolves for (a project's quotas, a host's Placement usage: no
// batch form upstream) costs UPSTREAM_CALL_WEIGHT per call (UPSTREAM_CALLS), so asking it of thousands of objects
// is refused before the first call. A field that aggregates a wide list it does not return (the dashboard's
// `fleet`) costs the records it reads (UPSTREAM_READS).
import {
  Kind,
  getNamedType,
  getNullableType,
  isCompositeType,
  isInterfaceType,
  isListType,
  isObjectType,
  valueFromASTUntyped,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

/** Length assumed for a list no answer of this scope has shown yet and the schema gives no `@listSize` for. */
export const PRIOR_LIST_LENGTH = 10;

const assumed = new WeakMap<object, number>();
/** The schema's `@listSize(assumedSize:)` for a field (schema/base.graphql), else the prior; read once per field. */
export function assumedLength(field: GraphQLField<unknown, unknown>): number {
  let size = assumed.get(field);
  if (size === undefined) {
    const arg = field.astNode?.directives?.find((d) => d.name.value === 'listSize')?.arguments?.find((a) => a.name.value === 'assumedSize');
    size = arg?.value.kind === Kind.INT ? Number(arg.value.value) : PRIOR_LIST_LENGTH;
    assumed.set(field, size);
  }
  return size;
}
const CAP = 1e15;
/** What one upstream GET made per object is worth, in values: far more work than one value of the answer. */
export const UPSTREAM_CALL_WEIGHT = 100;
/** Fields that make upstream calls per object, and how many (the loaders cannot batch them: no multi-key API). */
export const UPSTREAM_CALLS: Readonly<Record<string, number>> = {
  // datasources/quotas/loaders.ts: one GET per project and service.
  'ProjectQuotas.compute': 1,
  'ProjectQuotas.volume': 1,
  'ProjectQuotas.network': 1,
  // datasources/placement/loaders.ts: a provider's inventories and usages (Nova 2.88+).
  'Host.usage': 2,
};
/**
 * Fields that read more upstream records than they answer with — an aggregate over a wide list. Each record read is
 * worth `perRecord` values (its JSON, parsed and mapped, is held while the figures are computed: ~7 KB a Nova
 * server, three values' worth of HEAVY_BYTES_PER_VALUE); how many records is learned per tenant scope under
 * `Type.field#records` (cost-guard.ts observes it from the answer), `prior` until one was seen. Without it the
 * dashboard cost 85 at medium — never heavy — while each one parsed 8.5 MB of Nova servers.
 */
export const UPSTREAM_READS: Readonly<Record<string, { perRecord: number; prior: number }>> = {
  // resolvers/fleet-stats.ts: every server in the caller's scope (Nova's all-tenants list; volumes are zone summaries).
  'Query.fleet': { perRecord: 3, prior: 1000 },
  // resolvers/instance-connection.ts: the caller's whole server list, paged locally (totalCount needs it all);
  // unseen, one default page (the connection's own @listSize), so a member's first query is not heavy.
  'Query.instances': { perRecord: 3, prior: 50 },
};
/** The learned coordinate of what an UPSTREAM_READS field read. */
export const recordsCoordinate = (coordinate: string): string => `${coordinate}#records`;
/** The largest `first` a plain list field accepts (resolvers/network.ts MAX_LIST); a larger one is refused there. */
const MAX_LIST_FIRST = 1000;

export interface CostInput {
  schema: GraphQLSchema;
  operation: OperationDefinitionNode;
  fragments: Record<string, FragmentDefinitionNode>;
  variables: Record<string, unknown>;
  /** The learned mean length of list `Type.field`, or undefined. */
  learned(coordinate: string): number | undefined;
}

export function estimateCost({ schema, operation, fragments, variables, learned }: CostInput): number {
  const root =
    operation.operation === 'mutation'
      ? schema.getMutationType()
      : operation.operation === 'subscription'
        ? schema.getSubscriptionType()
        : schema.getQueryType();
  if (!root) return 0;
  const memo = new Map<string, number>();
  const inProgress = new Set<string>();

  const argument = (node: FieldNode, name: string): unknown => {
    const arg = node.arguments?.find((a) => a.name.value === name);
    return arg ? valueFromASTUntyped(arg.value, variables) : undefined;
  };

  /** Expected length of list field `field` of `parent`, under the `first` of the connection above (`cap`). */
  const listLength = (parent: GraphQLCompositeType, field: GraphQLField<unknown, unknown>, node: FieldNode, cap: number | undefined): number => {
    const ids = argument(node, 'ids');
    if (Array.isArray(ids)) return ids.length;
    const seen = learned(`${parent.name}.${field.name}`);
    const expected = seen ?? assumedLength(field);
    return cap === undefined ? expected : seen === undefined ? cap : Math.min(cap, expected);
  };

  const fragmentCost = (name: string, cap: number | undefined): number => {
    const key = `${name}|${cap ?? ''}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    const fragment = fragments[name];
    const type = fragment && schema.getType(fragment.typeCondition.name.value);
    if (!fragment || !isCompositeType(type) || inProgress.has(key)) return 0;
    inProgress.add(key);
    const cost = selectionCost(fragment.selectionSet, type, cap);
    inProgress.delete(key);
    memo.set(key, cost);
    return cost;
  };

  /** Values one object of type `parent` contributes with this selection. */
  const selectionCost = (set: SelectionSetNode, parent: GraphQLCompositeType, cap: number | undefined): number => {
    let total = 0;
    for (const sel of set.selections) {
      if (sel.kind === Kind.FRAGMENT_SPREAD) total += fragmentCost(sel.name.value, cap);
      else if (sel.kind === Kind.INLINE_FRAGMENT) {
        const type = sel.typeCondition ? schema.getType(sel.typeCondition.name.value) : parent;
        if (isCompositeType(type)) total += selectionCost(sel.selectionSet, type, cap);
      } else {
        total += fieldCost(sel, parent, cap);
      }
      if (total >= CAP) return CAP;
    }
    return total;
  };

  const fieldCost = (node: FieldNode, parent: GraphQLCompositeType, cap: number | undefined): number => {
    const field = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[node.name.value] : undefined;
    if (!field) return 1; // __typename, or introspection (bounded by its own rules)
    const arg = argument(node, 'first');
    const first = typeof arg === 'number' && arg >= 0 ? arg : undefined;
    const isList = isListType(getNullableType(field.type));
    // A list field's own `first` is its length (networks(first: 1000) may hold 1000), not a cap on lists below.
    const ownFirst = isList && first !== undefined && !Array.isArray(argument(node, 'ids'));
    const many = !isList ? 1 : ownFirst ? Math.min(first!, MAX_LIST_FIRST) : listLength(parent, field, node, cap);
    const type = getNamedType(field.type);
    const coordinate = `${parent.name}.${field.name}`;
    const reads = UPSTREAM_READS[coordinate];
    const calls =
      (UPSTREAM_CALLS[coordinate] ?? 0) * UPSTREAM_CALL_WEIGHT +
      (reads ? (learned(recordsCoordinate(coordinate)) ?? reads.prior) * reads.perRecord : 0);
    if (!node.selectionSet || !isCompositeType(type)) return calls === 0 ? many : Math.min(CAP, many * (1 + calls));
    // A connection's `first` bounds the lists directly below it (edges, nodes).
    const inner = selectionCost(node.selectionSet, type, isList ? undefined : first);
    return Math.min(CAP, many * (1 + calls + inner));
  };

  return selectionCost(operation.selectionSet, root, undefined);
}
