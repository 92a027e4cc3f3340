// What configured subgraphs add to Mosaic's executable schema: their SDL turned into type definitions Mosaic can
// serve (federation directives and definitions dropped, types Mosaic already has skipped, entity fields added to
// Mosaic's types with `extend type`) and the resolvers that fetch those fields:
//  - a field a subgraph adds to a Mosaic entity (Instance.cost) loads the parent's key (computed by Mosaic's own
//    resolvers, e.g. Instance.uuid) with only the client's selection of that field, through the request's
//    `_entities` loader for the subgraph (subgraph-client.ts): one call per subgraph per query level;
//  - a root field a subgraph owns (Query.prices) is forwarded as its own query;
//  - the fields of a subgraph's own types (Money, Bill) read the answer by response key, so aliases and
//    arguments the client chose come back exactly as asked.
// A failure costs only the subgraph's fields: null, with the coded error at the field's path.
import {
  Kind,
  isObjectType,
  parse,
  print,
  visit,
  type DefinitionNode,
  type FieldDefinitionNode,
  type FieldNode,
  type GraphQLFieldResolver,
  type GraphQLObjectType,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  type ObjectTypeDefinitionNode,
  type ObjectTypeExtensionNode,
} from 'graphql';
import { ConfigError, type SubgraphConfig } from '../../core/config.ts';
import type { RequestContext } from '../context.ts';
import { composeWithMosaic, fetchSubgraphSdl } from './compose.ts';
import { printFieldNodes, type ForwardScope } from './forward-selection.ts';
import { descend, SubgraphClient } from './subgraph-client.ts';
import { depthOf, trackingResolvers } from './level-tracker.ts';

export interface LoadedSubgraph {
  config: SubgraphConfig;
  sdl: string;
}

/** Reads every subgraph's SDL and composes them with Mosaic's; throws a ConfigError on the first problem. */
export async function loadSubgraphs(subgraphs: readonly SubgraphConfig[], mosaicTypeDefs: string): Promise<LoadedSubgraph[]> {
  const loaded = await Promise.all(subgraphs.map(async (config) => ({ config, sdl: await fetchSubgraphSdl(config) })));
  composeWithMosaic(
    mosaicTypeDefs,
    loaded.map((s) => ({ name: s.config.name, sdl: s.sdl })),
  );
  return loaded;
}

/** Federation's own definitions, which a subgraph's SDL may carry and Mosaic's schema must not. */
const FEDERATION_TYPES = new Set([
  '_Any',
  '_Entity',
  '_Service',
  'FieldSet',
  'link__Import',
  'link__Purpose',
  'federation__FieldSet',
  'federation__Scope',
  'federation__Policy',
]);

const responseKey = (info: GraphQLResolveInfo) => info.fieldNodes[0].alias?.value ?? info.fieldNodes[0].name.value;
const scopeOf = (info: GraphQLResolveInfo): ForwardScope => ({ schema: info.schema, fragments: info.fragments, variableValues: info.variableValues });

const hasDirective = (node: { directives?: readonly { name: { value: string } }[] }, name: string) =>
  (node.directives ?? []).some((d) => d.name.value === name);
const directiveArg = (node: { directives?: readonly any[] }, name: string, arg: string): string | undefined =>
  (node.directives ?? []).find((d) => d.name.value === name)?.arguments?.find((a: any) => a.name.value === arg)?.value?.value;

/** The value of each key field of a Mosaic object, as Mosaic itself would answer it (e.g. Instance.uuid). */
async function keyOf(type: GraphQLObjectType, fields: string[], parent: unknown, ctx: RequestContext, info: GraphQLResolveInfo) {
  const key: Record<string, unknown> = {};
  for (const name of fields) {
    const field = type.getFields()[name];
    const value = field.resolve ? await field.resolve(parent, {}, ctx, { ...info, fieldName: name }) : (parent as Record<string, unknown>)[name];
    key[name] =
      (field.type as { ofType?: { serialize?: (v: unknown) => unknown }; serialize?: (v: unknown) => unknown }).ofType?.serialize?.(value) ?? value;
  }
  return key;
}

export interface FederationExtension {
  typeDefs: string;
  resolvers: Record<string, Record<string, unknown>>;
}

/** The type definitions and resolvers the subgraphs add to Mosaic's schema (`mosaic` is Mosaic's own, unextended). */
export function federationExtension(mosaic: GraphQLSchema, subgraphs: LoadedSubgraph[]): FederationExtension {
  const defs: DefinitionNode[] = [];
  const resolvers: Record<string, Record<string, unknown>> = {};
  const addResolver = (type: string, field: string, fn: unknown) => ((resolvers[type] ??= {})[field] = fn);
  const added = new Set<string>();
  /** Mosaic's types a subgraph adds fields to. */
  const extended = new Set<string>();

  for (const { config, sdl } of subgraphs) {
    const client = new SubgraphClient(config);
    const where = (what: string) => `config: subgraph "${config.name}": ${what}`;
    // Directive usages are the subgraph's business (federation's @key/@external, its own): Mosaic serves none.
    const doc = visit(parse(sdl), { Directive: () => null });
    const original = parse(sdl);
    for (const [i, def] of doc.definitions.entries()) {
      const source = original.definitions[i] as ObjectTypeDefinitionNode;
      if (!('name' in def) || !def.name || def.kind === Kind.DIRECTIVE_DEFINITION) continue;
      const name = def.name.value;
      if (FEDERATION_TYPES.has(name)) continue;
      const isObject = def.kind === Kind.OBJECT_TYPE_DEFINITION || def.kind === Kind.OBJECT_TYPE_EXTENSION;
      if (name === 'Mutation' || name === 'Subscription')
        throw new ConfigError(where(`${name} fields are not federated yet (only Query fields and entity fields)`));
      if (name === 'Query' && isObject) {
        const fields = (def as ObjectTypeDefinitionNode).fields?.filter((f) => f.name.value !== '_service' && f.name.value !== '_entities') ?? [];
        if (fields.length === 0) continue;
        defs.push({ kind: Kind.OBJECT_TYPE_EXTENSION, name: def.name, fields });
        for (const f of fields) addResolver('Query', f.name.value, rootResolver(client));
        continue;
      }
      const existing = mosaic.getType(name);
      if (existing && isObject && isObjectType(existing)) {
        // An entity of Mosaic's, extended: its new fields, fetched through `_entities` by the subgraph's key.
        const key = directiveArg(source, 'key', 'fields');
        const own = ((def as ObjectTypeDefinitionNode | ObjectTypeExtensionNode).fields ?? []).filter(
          (f, j) => !existing.getFields()[f.name.value] && !hasDirective(source.fields![j], 'external'),
        );
        if (own.length === 0) continue;
        if (!key) throw new ConfigError(where(`type ${name} adds fields to Mosaic's ${name} without a @key`));
        const keyFields = key.trim().split(/\s+/);
        if (keyFields.some((k) => !/^\w+$/.test(k) || !existing.getFields()[k]))
          throw new ConfigError(where(`@key(fields: "${key}") on ${name}: only keys of Mosaic's scalar fields are supported`));
        source.fields!.forEach((f) => {
          if (hasDirective(f, 'requires')) throw new ConfigError(where(`${name}.${f.name.value} uses @requires, which Mosaic does not forward yet`));
        });
        defs.push({ kind: Kind.OBJECT_TYPE_EXTENSION, name: def.name, fields: own as FieldDefinitionNode[] });
        for (const f of own) addResolver(name, f.name.value, entityResolver(client, existing, keyFields));
        extended.add(name);
        continue;
      }
      if (existing || added.has(name)) continue; // a scalar or value type Mosaic (or another subgraph) already has
      added.add(name);
      defs.push(def);
      // The subgraph's own types: read by response key; abstract ones by the __typename the subgraph sent.
      if (isObject) for (const f of (def as ObjectTypeDefinitionNode).fields ?? []) addResolver(name, f.name.value, byResponseKey);
      if (def.kind === Kind.INTERFACE_TYPE_DEFINITION || def.kind === Kind.UNION_TYPE_DEFINITION) {
        addResolver(name, '__resolveType', (v: { __typename?: string }) => v.__typename);
      }
    }
  }
  // Mosaic's resolvers that may still bring parents of an extended entity report their pending promises, so each
  // level's `_entities` call leaves as soon as its level is complete (level-tracker.ts).
  if (extended.size > 0) {
    const tracking = trackingResolvers(mosaic, extended);
    for (const [type, fields] of Object.entries(tracking)) for (const [field, fn] of Object.entries(fields)) addResolver(type, field, fn);
  }
  return { typeDefs: defs.map((d) => print(d)).join('\n\n'), resolvers };
}

const byResponseKey: GraphQLFieldResolver<unknown, unknown> = (parent, _args, _ctx, info) => descend(parent, responseKey(info));

function rootResolver(client: SubgraphClient): GraphQLFieldResolver<unknown, RequestContext> {
  return async (_root, _args, ctx, info) => {
    const selection = printFieldNodes(info.parentType, info.fieldNodes, scopeOf(info));
    const data = await client.post(ctx, `query MosaicRoot { ${selection} }`);
    return descend(data, responseKey(info));
  };
}

/**
 * The forwarded selection of a field, printed once per request and field node list: graphql-js (and graphql-jit)
 * hand every item of a list the same `fieldNodes`, so a fleet of 300 instances prints `cost(…)` once, not 300 times.
 */
const selections = new WeakMap<object, WeakMap<readonly FieldNode[], string>>();
function selectionOf(ctx: RequestContext, info: GraphQLResolveInfo): string {
  let mine = selections.get(ctx);
  if (!mine) selections.set(ctx, (mine = new WeakMap()));
  let text = mine.get(info.fieldNodes);
  if (text === undefined) mine.set(info.fieldNodes, (text = printFieldNodes(info.parentType, info.fieldNodes, scopeOf(info))));
  return text;
}

function entityResolver(client: SubgraphClient, type: GraphQLObjectType, keyFields: string[]): GraphQLFieldResolver<unknown, RequestContext> {
  return async (parent, _args, ctx, info) => {
    const key = await keyOf(type, keyFields, parent, ctx, info);
    const selection = selectionOf(ctx, info);
    const entity = await client.entities(ctx, depthOf(info) - 1).load({ typename: type.name, key, selection });
    return descend(entity, responseKey(info));
  };
}
