// GraphQL over HTTP on the /graphql route (https://graphql.github.io/graphql-over-http/draft/), the same for both
// runtimes: Fastify hooks check each request before Mercurius or Apollo sees it and label each answer after, so
// the two agree on every refusal and every status — and every refusal carries a stable code
// (request-errors.ts's requestErrorBody), where each runtime would otherwise answer in its own words.
//   onRequest:     methods (GET and POST; 405 otherwise), the CSRF rule (csrf.ts), the request's media type
//                  (application/json; 415 otherwise), the response's (media-types.ts; 406 when Accept allows neither)
//   preValidation: the request's parameters — a JSON object body, or URL parameters with `variables` and
//                  `extensions` as JSON strings; `query` a non-empty string; no mutation over GET (405, Allow: POST).
//                  The parameters are handed on normalised (null means absent; nothing else), so the runtimes'
//                  own stricter or looser checks never see a difference.
//   onSend:        the Content-Type chosen, and — for a client that asked for application/json — 200 for a
//                  well-formed request refused before execution (parse, validation, limits, variable coercion).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { getOperationAST, parse } from 'graphql';
import { MosaicError, type ErrorName } from '../../core/errors.ts';
import { couldBeForged, CSRF_PREFLIGHT_HEADERS } from './csrf.ts';
import { APPLICATION_JSON, DEFAULT_MEDIA, mediaTypeEssence, responseMediaFor, type ResponseMedia } from './media-types.ts';
import { requestErrorBody } from './request-errors.ts';
import { resolveDocument, type TrustedDocumentsOptions } from './trusted-documents.ts';

export interface HttpProtocolOptions {
  path: string;
  /** server.maxTokens: a GET's query is parsed here (to find mutations) only up to this many tokens. */
  maxTokens: number;
  /** Persisted documents, APQ and enforce mode (trusted-documents.ts). */
  trusted: TrustedDocumentsOptions;
}

/** The parameters of a GraphQL-over-HTTP request, as both runtimes receive them. */
interface GraphQLParams {
  /** Absent only while a persisted document named by `documentId` or the APQ extension is looked up. */
  query?: string;
  documentId?: unknown;
  operationName?: string;
  variables?: Record<string, unknown>;
  extensions?: Record<string, unknown>;
}

interface Exchange {
  media: ResponseMedia;
  /** The request passed every check here: what the runtime answers next is a GraphQL response. */
  wellFormed: boolean;
}

const ALLOWED = 'GET, POST';

function refuse(reply: FastifyReply, status: number, name: ErrorName, message: string): FastifyReply {
  return reply.code(status).send(requestErrorBody(new MosaicError(name, message)));
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A POST body's parameters, or why they are not a GraphQL-over-HTTP request. */
function paramsOfBody(body: unknown): GraphQLParams | string {
  if (!isObject(body)) return 'The request body must be a JSON object with a "query".';
  const params: Partial<GraphQLParams> = {};
  for (const key of ['variables', 'extensions'] as const) {
    const value = body[key];
    if (value === undefined || value === null) continue;
    if (!isObject(value)) return `"${key}" must be a JSON object.`;
    params[key] = value;
  }
  return withQuery(params, body.query, body.operationName, body.documentId);
}

/** A GET's URL parameters, `variables` and `extensions` being JSON-encoded objects. */
function paramsOfSearch(search: unknown): GraphQLParams | string {
  const values = isObject(search) ? search : {};
  for (const key of ['query', 'operationName', 'variables', 'extensions', 'documentId']) {
    if (Array.isArray(values[key])) return `The "${key}" parameter may only be given once.`;
  }
  const params: Partial<GraphQLParams> = {};
  for (const key of ['variables', 'extensions'] as const) {
    const value = values[key];
    if (value === undefined) continue;
    let decoded: unknown;
    try {
      decoded = JSON.parse(String(value));
    } catch {
      return `The "${key}" parameter is not valid JSON.`;
    }
    if (!isObject(decoded)) return `The "${key}" parameter must be a JSON-encoded object.`;
    params[key] = decoded;
  }
  // An empty operationName is the same as none (https://graphql.github.io/graphql-over-http/draft/#sec-GET).
  return withQuery(params, values.query, values.operationName === '' ? undefined : values.operationName, values.documentId);
}

function withQuery(params: Partial<GraphQLParams>, query: unknown, operationName: unknown, documentId: unknown): GraphQLParams | string {
  // Without text, a request must name a persisted document (trusted-documents.ts looks it up next).
  const named = (documentId !== undefined && documentId !== null) || params.extensions?.persistedQuery !== undefined;
  if (query === undefined && !named) return 'A GraphQL request needs a "query" string.';
  if (query !== undefined && (typeof query !== 'string' || query === '')) return 'A GraphQL request needs a "query" string.';
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') return '"operationName" must be a string.';
  return {
    ...(query !== undefined ? { query: query as string } : {}),
    ...(named ? { documentId } : {}),
    ...(typeof operationName === 'string' ? { operationName } : {}),
    ...params,
  };
}

/** Whether the operation a GET would run is not a query; false when the document does not parse (the runtime says why). */
function changesState({ query, operationName }: GraphQLParams, maxTokens: number): boolean {
  try {
    const operation = getOperationAST(parse(query ?? '', { noLocation: true, maxTokens }), operationName);
    return !!operation && operation.operation !== 'query';
  } catch {
    return false;
  }
}

/** Installs the hooks (and the route answering other methods) for `path`; call before registering a runtime. */
export function graphqlOverHttp(app: FastifyInstance, { path, maxTokens, trusted }: HttpProtocolOptions): void {
  const exchanges = new WeakMap<FastifyRequest, Exchange>();
  // A WebSocket upgrade on `path` is a subscription (server/subscriptions/), not a GraphQL-over-HTTP request.
  const ours = (request: FastifyRequest) => request.routeOptions.url === path && request.headers.upgrade?.toLowerCase() !== 'websocket';

  const wrongMethod = (request: FastifyRequest, reply: FastifyReply) =>
    refuse(
      reply.header('allow', ALLOWED),
      405,
      'MOSAIC_ERR_METHOD_NOT_ALLOWED',
      `GraphQL requests are sent with GET or POST, not ${request.method}.`,
    );
  // Routes these methods to `path` at all (Fastify would answer 404); the onRequest hook refuses them first.
  app.route({ method: ['PUT', 'PATCH', 'DELETE', 'OPTIONS'], url: path, handler: wrongMethod });

  app.addHook('onRequest', async (request, reply) => {
    if (!ours(request)) return;
    const accept = request.headers.accept;
    const media = responseMediaFor(accept);
    exchanges.set(request, { media: media ?? DEFAULT_MEDIA, wellFormed: false });
    // HEAD too: Fastify serves it for every GET route, and a GraphQL request without its answer makes no sense.
    if (request.method !== 'GET' && request.method !== 'POST') return wrongMethod(request, reply);
    if (couldBeForged(request.headers)) {
      return refuse(
        reply,
        400,
        'MOSAIC_ERR_CSRF',
        `This request could be a cross-site request forgery: send it with Content-Type: application/json, or with one of the headers ${CSRF_PREFLIGHT_HEADERS.join(', ')}.`,
      );
    }
    const contentType = request.headers['content-type'];
    const type = contentType === undefined ? undefined : mediaTypeEssence(contentType);
    // A GET carries no body; like Apollo Server, refuse one that claims a media type other than JSON.
    if (request.method === 'POST' ? type !== APPLICATION_JSON : type !== undefined && type !== APPLICATION_JSON) {
      return refuse(reply, 415, 'MOSAIC_ERR_UNSUPPORTED_MEDIA_TYPE', 'Send the GraphQL request as application/json (or a GET with a query string).');
    }
    if (!media) {
      return refuse(reply, 406, 'MOSAIC_ERR_NOT_ACCEPTABLE', `Accept ${APPLICATION_JSON} or application/graphql-response+json; got ${accept}.`);
    }
  });

  app.addHook('preValidation', async (request, reply) => {
    const exchange = ours(request) ? exchanges.get(request) : undefined;
    if (!exchange) return;
    const get = request.method === 'GET';
    const params = get ? paramsOfSearch(request.query) : paramsOfBody(request.body);
    if (typeof params === 'string') return refuse(reply, 400, 'MOSAIC_ERR_BAD_REQUEST', params);
    const persisted = params.documentId !== undefined || params.extensions?.persistedQuery !== undefined;
    if (persisted || trusted.mode === 'enforce') {
      const text = await resolveDocument(params, trusted, request);
      if (typeof text !== 'string') {
        // Apollo's own answer to an unknown hash is a 200 its clients know to follow with the text; never cached.
        if (text.status === 200) reply.header('cache-control', 'private, no-cache, must-revalidate');
        return refuse(reply, text.status, text.name, text.message);
      }
      params.query = text;
      delete params.documentId;
    }
    if (get && changesState(params, maxTokens)) {
      return refuse(reply.header('allow', 'POST'), 405, 'MOSAIC_ERR_METHOD_NOT_ALLOWED', 'Only queries run over GET; send mutations with POST.');
    }
    if (get) {
      // Mercurius reads the parameters from here (still JSON strings); Apollo from the URL, already checked — but it
      // looks for an operation named "" where the spec says an empty operationName is none, so that one goes.
      const { variables, extensions } = params;
      if ((request.query as Record<string, unknown>).operationName === '' || persisted) {
        const url = new URL(request.url, 'http://gateway');
        url.searchParams.delete('operationName');
        if (params.operationName !== undefined) url.searchParams.set('operationName', params.operationName);
        // A persisted document: the text looked up goes where Apollo reads it, the id and APQ extension do not.
        url.searchParams.set('query', params.query!);
        url.searchParams.delete('documentId');
        if (extensions) url.searchParams.set('extensions', JSON.stringify(extensions));
        else url.searchParams.delete('extensions');
        request.raw.url = url.pathname + url.search;
      }
      request.query = {
        ...params,
        ...(variables ? { variables: JSON.stringify(variables) } : {}),
        ...(extensions ? { extensions: JSON.stringify(extensions) } : {}),
      };
    } else {
      request.body = params;
    }
    exchange.wellFormed = true;
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const exchange = exchanges.get(request);
    if (!exchange || !/json/.test(String(reply.getHeader('content-type') ?? ''))) return payload;
    reply.header('content-type', `${exchange.media.type}; charset=utf-8`);
    if (exchange.media.okForRequestErrors && exchange.wellFormed && reply.statusCode === 400) reply.code(200);
    return payload;
  });
}
