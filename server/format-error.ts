// Shapes every GraphQL error for the response, for both runtimes: MosaicErrors keep their stable code, graphql-js
// validation errors keep theirs, and anything else becomes INTERNAL without details (DESIGN.md "Errors").
import { GraphQLError } from 'graphql';
import { ERRORS, MosaicError } from '../core/errors.ts';

/**
 * A GraphQLError from any copy of graphql-js: Mercurius (CommonJS) and this ESM code can load two copies of the
 * package (the "dual package hazard"), and `instanceof` fails across them.
 */
export const isGraphQLError = (e: unknown): e is GraphQLError =>
  e instanceof GraphQLError || Object.prototype.toString.call(e) === '[object GraphQLError]'; // its toStringTag, subclasses too

/**
 * Shapes one error for the response: MosaicErrors keep their code; graphql-js validation errors keep theirs;
 * anything else becomes INTERNAL with a generic message, so stack traces, tokens and URLs never leak.
 */
export function formatError(error: GraphQLError): GraphQLError {
  const original = error.originalError;
  // graphql-jit reports list indexes as strings ("0"); field names cannot be numeric, so this is safe.
  const path = error.path?.map((p) => (typeof p === 'string' && /^\d+$/.test(p) ? Number(p) : p));
  if (original instanceof MosaicError) {
    return new GraphQLError(original.message, { nodes: error.nodes, path, extensions: original.extensions });
  }
  if (!original || isGraphQLError(original)) {
    // Parse/validation errors and errors raised as GraphQLError with their own code (e.g. scalars). Both runtimes
    // answer a syntax error alike (Mercurius sends it without a code), with its line and column: a syntax error
    // has no AST nodes, its location comes from source + positions.
    const fallback = error.path ? 'INTERNAL' : /^Syntax Error:/.test(error.message) ? 'GRAPHQL_PARSE_FAILED' : 'GRAPHQL_VALIDATION_FAILED';
    // Apollo wraps a validation rule's error in its own, coded GRAPHQL_VALIDATION_FAILED: the rule's code wins.
    const code = (original?.extensions?.code ?? error.extensions?.code ?? fallback) as string;
    const extensions = { ...error.extensions, code };
    delete (extensions as Record<string, unknown>).exception;
    delete (extensions as Record<string, unknown>).stacktrace;
    delete (extensions as Record<string, unknown>).http; // Apollo's transport hint, not for clients
    return new GraphQLError(error.message, { nodes: error.nodes, source: error.source, positions: error.positions, path, extensions });
  }
  // A bug of ours: log it in full here, answer without details.
  console.error('[mosaic] internal error at', error.path?.join('.'), original);
  return new GraphQLError(ERRORS.MOSAIC_ERR_INTERNAL.message, {
    nodes: error.nodes,
    path,
    extensions: { code: 'INTERNAL', mosaicCode: 'MOSAIC_ERR_INTERNAL' },
  });
}

/**
 * graphql-js's validation messages name the fields and types a client almost typed ("Cannot query field "hots" on
 * type "Zone". Did you mean "hosts"?"), which maps the schema for someone who may not introspect it
 * (security.suggestions). Unless `show`, the hint is cut from the message.
 */
export function hideSuggestions<E extends { message: string }>(error: E, show: boolean): E {
  if (show || !/ Did you mean /.test(error.message)) return error;
  return { ...error, message: error.message.replace(/\s*Did you mean [^?]*\?\s*$/, '') };
}
