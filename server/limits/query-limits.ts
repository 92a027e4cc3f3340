// Limits on the shape of an operation, checked as a GraphQL validation rule before any resolver (and so any
// upstream call) runs: depth, aliases, root fields and directives. Each fragment is measured once and its figures
// memoised, so the rule is linear in the document's size however often fragments spread each other — a chain of
// 22 fragments each spreading the next twice is 2^22 fields when expanded but 22 measurements here. Aliases and
// directives are counted in the expanded operation (capped so they cannot overflow) — conservative, since
// execution merges repeats of one response key; root fields are counted as distinct response keys. Introspection
// fields do not add depth. Rejections are coded (core/errors.ts) and say the limit and the figure.
import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';
import { ERRORS, type ErrorName } from '../../core/errors.ts';

export interface QueryLimits {
  maxDepth: number;
  maxAliases: number;
  maxRootFields: number;
  maxDirectives: number;
}

/** What one selection set costs once expanded: nesting depth, aliased fields and directives. */
interface Shape {
  depth: number;
  aliases: number;
  directives: number;
}

const CAP = Number.MAX_SAFE_INTEGER;
const add = (a: number, b: number) => Math.min(CAP, a + b);

export function queryLimitsRule(limits: QueryLimits) {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const def of context.getDocument().definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
    const memo = new Map<string, Shape>();
    const inProgress = new Set<string>();

    /** The shape of a fragment, measured once; a cycle (reported by NoFragmentCyclesRule) counts as empty. */
    const fragmentShape = (name: string): Shape => {
      const known = memo.get(name);
      if (known) return known;
      const fragment = fragments.get(name);
      if (!fragment || inProgress.has(name)) return { depth: 0, aliases: 0, directives: 0 };
      inProgress.add(name);
      const shape = shapeOf(fragment.selectionSet);
      shape.directives = add(shape.directives, fragment.directives?.length ?? 0);
      inProgress.delete(name);
      memo.set(name, shape);
      return shape;
    };

    const shapeOf = (set: SelectionSetNode | undefined): Shape => {
      const shape: Shape = { depth: 0, aliases: 0, directives: 0 };
      if (!set) return shape;
      for (const sel of set.selections) {
        shape.directives = add(shape.directives, sel.directives?.length ?? 0);
        let inner: Shape;
        if (sel.kind === Kind.FIELD) {
          inner = shapeOf(sel.selectionSet);
          if (sel.alias) shape.aliases = add(shape.aliases, 1);
          if (!sel.name.value.startsWith('__')) shape.depth = Math.max(shape.depth, inner.depth + 1);
        } else if (sel.kind === Kind.INLINE_FRAGMENT) {
          inner = shapeOf(sel.selectionSet);
          shape.depth = Math.max(shape.depth, inner.depth);
        } else {
          inner = fragmentShape(sel.name.value);
          shape.depth = Math.max(shape.depth, inner.depth);
        }
        shape.aliases = add(shape.aliases, inner.aliases);
        shape.directives = add(shape.directives, inner.directives);
      }
      return shape;
    };

    /**
     * Root fields of the operation, as distinct response keys: fields with the same key merge into one at
     * execution, so `{ ...F ...F }` costs F's fields once. Each fragment is visited once.
     */
    const rootKeys = (set: SelectionSetNode, keys: Set<string>, visited: Set<string>): Set<string> => {
      for (const sel of set.selections) {
        if (sel.kind === Kind.FIELD) keys.add(sel.alias?.value ?? sel.name.value);
        else if (sel.kind === Kind.INLINE_FRAGMENT) rootKeys(sel.selectionSet, keys, visited);
        else if (!visited.has(sel.name.value)) {
          visited.add(sel.name.value);
          const fragment = fragments.get(sel.name.value);
          if (fragment) rootKeys(fragment.selectionSet, keys, visited);
        }
      }
      return keys;
    };

    const reject = (node: OperationDefinitionNode, name: ErrorName, message: string) =>
      context.reportError(new GraphQLError(message, { nodes: [node], extensions: { code: ERRORS[name].code, mosaicCode: name } }));

    return {
      OperationDefinition(node) {
        const shape = shapeOf(node.selectionSet);
        const directives = add(shape.directives, node.directives?.length ?? 0);
        const roots = rootKeys(node.selectionSet, new Set(), new Set()).size;
        if (shape.depth > limits.maxDepth) {
          reject(node, 'MOSAIC_ERR_TOO_DEEP', `Query is nested ${shape.depth} levels deep; the limit is ${limits.maxDepth}.`);
        }
        if (shape.aliases > limits.maxAliases) {
          reject(node, 'MOSAIC_ERR_TOO_MANY_ALIASES', `Query uses ${shape.aliases} aliases; the limit is ${limits.maxAliases}.`);
        }
        if (roots > limits.maxRootFields) {
          reject(node, 'MOSAIC_ERR_TOO_MANY_ROOT_FIELDS', `Query selects ${roots} root fields; the limit is ${limits.maxRootFields}.`);
        }
        if (directives > limits.maxDirectives) {
          reject(node, 'MOSAIC_ERR_TOO_MANY_DIRECTIVES', `Query uses ${directives} directives; the limit is ${limits.maxDirectives}.`);
        }
      },
    };
  };
}
