// The `_entities` floor of a federated query: one call per subgraph per query level that asks for a field the
// subgraph adds to a Mosaic entity (README "Federated subgraphs"). Computed from the query and the subgraph's SDL
// over the gateway's schema (its introspection), never written down per workload, so a changed fixture changes
// its floor. A level is the field depth (enclosing fields, list items not counted): all parents at one depth are
// due at once, so one call can carry all of them. Shared by bench/federation.ts and test/gateway/federation.test.ts.
import {
  Kind,
  TypeInfo,
  getNamedType,
  parse,
  visit,
  visitWithTypeInfo,
  type GraphQLSchema,
  type ObjectTypeDefinitionNode,
  type ObjectTypeExtensionNode,
} from 'graphql';

/** `Type.field` of every field a subgraph adds to an entity type (its @key types, key fields left out). */
export function entityFieldsOf(subgraphSdl: string): Set<string> {
  const out = new Set<string>();
  for (const def of parse(subgraphSdl).definitions) {
    if (def.kind !== Kind.OBJECT_TYPE_DEFINITION && def.kind !== Kind.OBJECT_TYPE_EXTENSION) continue;
    const node = def as ObjectTypeDefinitionNode | ObjectTypeExtensionNode;
    const key = node.directives?.find((d) => d.name.value === 'key')?.arguments?.find((a) => a.name.value === 'fields')?.value;
    if (!key || key.kind !== Kind.STRING) continue;
    const keyFields = new Set(key.value.split(/\s+/));
    for (const f of node.fields ?? []) if (!keyFields.has(f.name.value)) out.add(`${node.name.value}.${f.name.value}`);
  }
  return out;
}

/** The distinct depths (1 = a root field) at which `query` asks for one of `entityFields`: the `_entities` floor is their count. */
export function entityLevels(schema: GraphQLSchema, query: string, entityFields: Set<string>): number[] {
  const typeInfo = new TypeInfo(schema);
  const depths = new Set<number>();
  let depth = 0;
  visit(
    parse(query),
    visitWithTypeInfo(typeInfo, {
      Field: {
        enter() {
          depth++;
          const parent = typeInfo.getParentType();
          const field = typeInfo.getFieldDef();
          if (parent && field && entityFields.has(`${getNamedType(parent).name}.${field.name}`)) depths.add(depth);
        },
        leave() {
          depth--;
        },
      },
    }),
  );
  return [...depths].sort((a, b) => a - b);
}
