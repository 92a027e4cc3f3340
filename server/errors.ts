// The one error table. Every failure Mosaic reports carries a stable `MOSAIC_ERR_*` code (for logs and
// support) and one of the public GraphQL `extensions.code` values from DESIGN.md "Errors", so clients can
// switch on them. Upstream failures add `service` and the upstream's request id.
import { GraphQLError } from 'graphql';

export type PublicCode =
  | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND' | 'BAD_USER_INPUT'
  | 'UPSTREAM_TIMEOUT' | 'UPSTREAM_UNAVAILABLE' | 'UPSTREAM_ERROR' | 'INTERNAL';

export const ERRORS = {
  MOSAIC_ERR_NO_TOKEN: { code: 'UNAUTHENTICATED', message: 'A Keystone token is required (X-Auth-Token or Authorization: Bearer).' },
  MOSAIC_ERR_BAD_TOKEN: { code: 'UNAUTHENTICATED', message: 'The token is invalid or has expired.' },
  MOSAIC_ERR_BAD_CREDENTIALS: { code: 'UNAUTHENTICATED', message: 'Invalid username, password or project.' },
  MOSAIC_ERR_ADMIN_ONLY: { code: 'FORBIDDEN', message: 'This field is visible to administrators only.' },
  MOSAIC_ERR_UPSTREAM_FORBIDDEN: { code: 'FORBIDDEN', message: 'The upstream service refused this request for the caller.' },
  MOSAIC_ERR_NOT_FOUND: { code: 'NOT_FOUND', message: 'No such object.' },
  MOSAIC_ERR_BAD_ID: { code: 'BAD_USER_INPUT', message: 'Malformed global id.' },
  MOSAIC_ERR_BAD_CURSOR: { code: 'BAD_USER_INPUT', message: 'Malformed pagination cursor.' },
  MOSAIC_ERR_BAD_ARGUMENT: { code: 'BAD_USER_INPUT', message: 'Invalid argument.' },
  MOSAIC_ERR_UPSTREAM_TIMEOUT: { code: 'UPSTREAM_TIMEOUT', message: 'The upstream service did not answer in time.' },
  MOSAIC_ERR_UPSTREAM_UNAVAILABLE: { code: 'UPSTREAM_UNAVAILABLE', message: 'The upstream service is unreachable.' },
  MOSAIC_ERR_UPSTREAM_STATUS: { code: 'UPSTREAM_ERROR', message: 'The upstream service answered with an error.' },
  MOSAIC_ERR_UPSTREAM_GARBLED: { code: 'UPSTREAM_ERROR', message: 'The upstream service answered with a malformed body.' },
  MOSAIC_ERR_NO_ENDPOINT: { code: 'UPSTREAM_UNAVAILABLE', message: 'The service catalog has no endpoint for this service.' },
  MOSAIC_ERR_METRICS_OFF: { code: 'UPSTREAM_UNAVAILABLE', message: 'Metrics are off: no MongoDB is configured (set MONGODB_URI).' },
  MOSAIC_ERR_INTERNAL: { code: 'INTERNAL', message: 'Internal error.' },
} as const satisfies Record<string, { code: PublicCode; message: string }>;

export type ErrorName = keyof typeof ERRORS;

export interface UpstreamInfo {
  /** The upstream service: keystone, nova, cinder, glance, neutron, legacy, mongodb. */
  service: string;
  /** The upstream's own request id, when it sent one. */
  requestId?: string;
  /** HTTP status, or the legacy `ret` code. */
  status?: number;
}

/** A failure with a stable code; becomes a GraphQLError at the field's path. */
export class MosaicError extends Error {
  override readonly name = 'MosaicError';
  constructor(
    readonly errorName: ErrorName,
    message?: string,
    readonly upstream?: UpstreamInfo,
  ) {
    super(message ?? ERRORS[errorName].message);
  }
  get code(): PublicCode {
    return ERRORS[this.errorName].code;
  }
  get extensions(): Record<string, unknown> {
    const ext: Record<string, unknown> = { code: this.code, mosaicCode: this.errorName };
    if (this.upstream) {
      ext.service = this.upstream.service;
      if (this.upstream.requestId) ext.upstreamRequestId = this.upstream.requestId;
      if (this.upstream.status !== undefined) ext.upstreamStatus = this.upstream.status;
    }
    return ext;
  }
}

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
    nodes: error.nodes, path, extensions: { code: 'INTERNAL', mosaicCode: 'MOSAIC_ERR_INTERNAL' },
  });
}
