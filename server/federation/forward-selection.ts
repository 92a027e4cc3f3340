// The part of the client's query a subgraph must answer, as text: the field nodes of one response key with their
// arguments and sub-selections, and nothing else the client asked for. Variables are inlined as literals (from
// the coerced argument values, so the subgraph needs no variable definitions), fragment spreads are expanded,
// @skip/@include are decided here and dropped, aliases are kept (the answer is read back by response key:
// federated-schema.ts). Two parents asking the same field the same way give the same text, which is what
// batches them into one `_entities` selection.
import {
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  Kind,
  astFromValue,
  getArgumentValues,
  getDirectiveValues,
  getNamedType,
  isAbstractType,
  isCompositeType,
  isObjectType,
  isInterfaceType,
  print,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type SelectionNode,
  type ValueNode,
} from 'graphql';

export interface ForwardScope {
  schema: GraphQLSchema;
  fragments: Record<string, FragmentDefinitionNode>;
  variableValues: Record<string, unknown>;
}

const included = (node: SelectionNode, scope: ForwardScope) =>
  getDirectiveValues(GraphQLSkipDirective, node, scope.variableValues)?.if !== true &&
  getDirectiveValues(GraphQLIncludeDirective, node, scope.variableValues)?.if !== false;

function printArguments(field: GraphQLField<unknown, unknown>, node: FieldNode, scope: ForwardScope): string {
  if (!node.arguments?.length) return '';
  const values = getArgumentValues(field, node, scope.variableValues);
  const parts: string[] = [];
  for (const arg of field.args) {
    if (!(arg.name in values)) continue;
    const ast: ValueNode | null | undefined = astFromValue(values[arg.name], arg.type);
    if (ast) parts.push(`${arg.name}: ${print(ast)}`);
  }
  return parts.length ? `(${parts.join(', ')})` : '';
}

function printSelections(parent: GraphQLCompositeType, selections: readonly SelectionNode[], scope: ForwardScope): string {
  const out: string[] = [];
  for (const node of selections) {
    if (!included(node, scope)) continue;
    if (node.kind === Kind.FIELD) {
      out.push(printField(parent, node, scope));
    } else {
      const fragment = node.kind === Kind.FRAGMENT_SPREAD ? scope.fragments[node.name.value] : node;
      if (!fragment) continue;
      const condition = fragment.typeCondition?.name.value;
      const target = condition ? scope.schema.getType(condition) : parent;
      if (!target || !isCompositeType(target)) continue;
      const inner = printSelections(target, fragment.selectionSet.selections, scope);
      if (!inner) continue;
      // Same type: flattened; a narrower type (an interface's implementation) keeps its condition.
      out.push(target === parent ? inner : `... on ${target.name} { ${inner} }`);
    }
  }
  return out.join(' ');
}

/** One field node as the subgraph should receive it. */
export function printField(parent: GraphQLCompositeType, node: FieldNode, scope: ForwardScope): string {
  const name = node.name.value;
  const alias = node.alias ? `${node.alias.value}: ` : '';
  if (name === '__typename') return `${alias}__typename`;
  const field = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
  if (!field) return '';
  const args = printArguments(field, node, scope);
  const type = getNamedType(field.type);
  let sub = node.selectionSet && isCompositeType(type) ? printSelections(type, node.selectionSet.selections, scope) : '';
  // An interface or union is told apart by the __typename the subgraph sends.
  if (sub && isAbstractType(type)) sub = `__typename ${sub}`;
  return `${alias}${name}${args}${sub ? ` { ${sub} }` : ''}`;
}

/** The field nodes of one response key (graphql-js merges same-key nodes into info.fieldNodes). */
export function printFieldNodes(parent: GraphQLCompositeType, nodes: readonly FieldNode[], scope: ForwardScope): string {
  return nodes
    .map((n) => printField(parent, n, scope))
    .filter(Boolean)
    .join(' ');
}
