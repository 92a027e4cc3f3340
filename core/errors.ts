// The one error table. Every failure Mosaic reports carries a stable `MOSAIC_ERR_*` code (for logs and
// support) and one of the public GraphQL `extensions.code` values from DESIGN.md "Errors", so clients can
// switch on them. Upstream failures add `service` and the upstream's request id. Every code here is listed in
// the README's "Errors" section; test/core/errors.test.ts fails when the two drift (as fastify checks FST_ERR_*).

export type PublicCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'BAD_USER_INPUT'
  | 'UPSTREAM_TIMEOUT'
  | 'UPSTREAM_UNAVAILABLE'
  | 'UPSTREAM_ERROR'
  | 'SERVICE_UNAVAILABLE'
  | 'INTERNAL';

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
  MOSAIC_ERR_TOO_DEEP: { code: 'BAD_USER_INPUT', message: 'The query is nested deeper than the limit.' },
  MOSAIC_ERR_TOO_MANY_ALIASES: { code: 'BAD_USER_INPUT', message: 'The query uses more aliases than the limit.' },
  MOSAIC_ERR_TOO_MANY_ROOT_FIELDS: { code: 'BAD_USER_INPUT', message: 'The query selects more root fields than the limit.' },
  MOSAIC_ERR_TOO_MANY_DIRECTIVES: { code: 'BAD_USER_INPUT', message: 'The query uses more directives than the limit.' },
  MOSAIC_ERR_TOO_MANY_TOKENS: { code: 'BAD_USER_INPUT', message: 'The query is longer than the limit.' },
  MOSAIC_ERR_TOO_COSTLY: { code: 'BAD_USER_INPUT', message: 'The request would fetch more than the limit allows.' },
  MOSAIC_ERR_PERSISTED_QUERY_NOT_FOUND: { code: 'BAD_USER_INPUT', message: 'PersistedQueryNotFound' },
  MOSAIC_ERR_UNTRUSTED_OPERATION: { code: 'FORBIDDEN', message: 'Only registered operations run here.' },
  MOSAIC_ERR_RATE_LIMITED: { code: 'FORBIDDEN', message: 'Too many requests from this caller; retry after the time in Retry-After.' },
  MOSAIC_ERR_CSRF: { code: 'BAD_USER_INPUT', message: 'This request could be a cross-site request forgery.' },
  MOSAIC_ERR_METHOD_NOT_ALLOWED: { code: 'BAD_USER_INPUT', message: 'This HTTP method cannot run this operation.' },
  MOSAIC_ERR_NOT_ACCEPTABLE: { code: 'BAD_USER_INPUT', message: 'None of the accepted media types can be produced.' },
  MOSAIC_ERR_INTROSPECTION_OFF: { code: 'FORBIDDEN', message: 'Schema introspection is not available to this caller.' },
  MOSAIC_ERR_BAD_REQUEST: { code: 'BAD_USER_INPUT', message: 'The HTTP request is not a valid GraphQL request.' },
  MOSAIC_ERR_UNSUPPORTED_MEDIA_TYPE: { code: 'BAD_USER_INPUT', message: 'Unsupported media type.' },
  MOSAIC_ERR_BODY_TOO_LARGE: { code: 'BAD_USER_INPUT', message: 'The request body is too large.' },
  MOSAIC_ERR_UPSTREAM_TIMEOUT: { code: 'UPSTREAM_TIMEOUT', message: 'The upstream service did not answer in time.' },
  MOSAIC_ERR_UPSTREAM_UNAVAILABLE: { code: 'UPSTREAM_UNAVAILABLE', message: 'The upstream service is unreachable.' },
  MOSAIC_ERR_UPSTREAM_STATUS: { code: 'UPSTREAM_ERROR', message: 'The upstream service answered with an error.' },
  MOSAIC_ERR_UPSTREAM_GARBLED: { code: 'UPSTREAM_ERROR', message: 'The upstream service answered with a malformed body.' },
  MOSAIC_ERR_SUBGRAPH_ERROR: { code: 'UPSTREAM_ERROR', message: 'A federated subgraph answered this field with an error.' },
  MOSAIC_ERR_UNSUPPORTED_VERSION: { code: 'UPSTREAM_ERROR', message: 'The upstream service offers no API version Mosaic speaks.' },
  MOSAIC_ERR_PARTIAL_LIST: {
    code: 'UPSTREAM_UNAVAILABLE',
    message: 'The upstream returned records it could not place, so this list would be incomplete.',
  },
  MOSAIC_ERR_CIRCUIT_OPEN: { code: 'UPSTREAM_UNAVAILABLE', message: 'The upstream service is failing; calls are paused for a moment.' },
  MOSAIC_ERR_NO_ENDPOINT: { code: 'UPSTREAM_UNAVAILABLE', message: 'The service catalog has no endpoint for this service.' },
  MOSAIC_ERR_METRICS_OFF: { code: 'UPSTREAM_UNAVAILABLE', message: 'Metrics are off: no MongoDB is configured (set MONGODB_URI).' },
  MOSAIC_ERR_WRITES_OFF: {
    code: 'UPSTREAM_UNAVAILABLE',
    message: 'Changing the cloud needs MongoDB, where operations are recorded (set MONGODB_URI).',
  },
  MOSAIC_ERR_CONFLICT: { code: 'BAD_USER_INPUT', message: 'The resource is not in a state that allows this change.' },
  MOSAIC_ERR_IDEMPOTENCY_MISMATCH: { code: 'BAD_USER_INPUT', message: 'This idempotency key was used with different input.' },
  MOSAIC_ERR_OVER_QUOTA: { code: 'FORBIDDEN', message: 'The project’s quota does not allow this.' },
  MOSAIC_ERR_TOO_MANY_SUBSCRIPTIONS: {
    code: 'FORBIDDEN',
    message: 'Too many subscriptions open (events.maxSubscriptionsPerConnection / maxSubscriptionsPerCaller).',
  },
  MOSAIC_ERR_EVENTS_OFF: { code: 'UPSTREAM_UNAVAILABLE', message: 'The cloud’s event stream is not available: no message bus is connected.' },
  MOSAIC_ERR_OVERLOADED: {
    code: 'SERVICE_UNAVAILABLE',
    message: 'The gateway is busy with heavy requests; retry after the time in Retry-After.',
  },
  MOSAIC_ERR_CONFIG: { code: 'INTERNAL', message: 'The configuration is invalid.' },
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

/**
 * A failure with a stable code; becomes a GraphQLError at the field's path. `cause` keeps the underlying error
 * for logs (never sent to clients).
 */
export class MosaicError extends Error {
  override readonly name = 'MosaicError';
  constructor(
    readonly errorName: ErrorName,
    message?: string,
    readonly upstream?: UpstreamInfo,
    options?: { cause?: unknown },
  ) {
    super(message ?? ERRORS[errorName].message, options);
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
