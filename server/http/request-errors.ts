// A client's HTTP-level mistakes — a body that is not JSON, a media type GraphQL-over-HTTP does not define, a
// body over server.bodyLimitBytes, a request without a query — answered with their own status and a stable code
// (https://graphql.github.io/graphql-over-http/draft/#sec-application-json), never as INTERNAL. Fastify reports
// these as FST_ERR_* errors and Mercurius as MER_ERR_*; both runtimes map them here.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { MosaicError, type ErrorName } from '../../core/errors.ts';

export interface ClientError {
  status: number;
  error: MosaicError;
}

const BY_CODE: Record<string, [number, ErrorName, string]> = {
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'MOSAIC_ERR_BAD_REQUEST', 'The request body is not valid JSON.'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'MOSAIC_ERR_BAD_REQUEST', 'The request body is empty.'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [
    415,
    'MOSAIC_ERR_UNSUPPORTED_MEDIA_TYPE',
    'Send the GraphQL request as application/json (or a GET with a query string).',
  ],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'MOSAIC_ERR_BAD_REQUEST', 'The Content-Length does not match the body.'],
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'MOSAIC_ERR_BODY_TOO_LARGE', 'The request body is larger than the server accepts.'],
  MER_ERR_GQL_PERSISTED_QUERY_NOT_FOUND: [400, 'MOSAIC_ERR_BAD_REQUEST', 'A GraphQL request needs a "query" string.'],
};

/** The client error an HTTP-layer failure stands for, or null when it is not the client's doing. */
export function clientErrorOf(err: unknown): ClientError | null {
  if (!err || typeof err !== 'object') return null;
  const { code, statusCode } = err as { code?: unknown; statusCode?: unknown };
  const known = typeof code === 'string' ? BY_CODE[code] : undefined;
  if (known) return { status: known[0], error: new MosaicError(known[1], known[2], undefined, { cause: err }) };
  // Any other 4xx Fastify raised itself (a malformed URL, a bad header) is the client's too.
  if (typeof code === 'string' && code.startsWith('FST_ERR_') && typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return { status: statusCode, error: new MosaicError('MOSAIC_ERR_BAD_REQUEST', (err as Error).message, undefined, { cause: err }) };
  }
  return null;
}

/** The JSON body of a request error: no data, one error with its codes. */
export const requestErrorBody = (error: MosaicError) => ({ errors: [{ message: error.message, extensions: error.extensions }] });

/** Fastify error handler for routes outside Mercurius (Apollo's, health, GraphiQL): client errors coded, others INTERNAL. */
export function handleRequestError(err: unknown, request: FastifyRequest, reply: FastifyReply) {
  const client = clientErrorOf(err);
  if (client) return reply.code(client.status).send(requestErrorBody(client.error));
  console.error(`[mosaic] internal error on ${request.method} ${request.url.split('?')[0]}`, err);
  return reply.code(500).send(requestErrorBody(new MosaicError('MOSAIC_ERR_INTERNAL')));
}
