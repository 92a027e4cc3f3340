// Checks made on a GraphQL request before either runtime parses it: the query, when present, is a string, and
// has at most server.maxTokens lexical tokens — counted with graphql-js's own lexer and abandoned one token past
// the limit, so an oversized document costs no more than the limit to refuse (graphql-js's parse() has the same
// `maxTokens` idea, but neither runtime exposes it). The same pass notes whether the query asks for the schema
// (`__schema`, `__type`): introspection is for callers with a valid token unless security.introspection says
// otherwise, so an anonymous client cannot map the graph. Shape limits on the parsed document are query-limits.ts.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GraphQLError, Lexer, Source, TokenKind } from 'graphql';
import { MosaicError } from '../../core/errors.ts';
import { requestErrorBody } from './request-errors.ts';

export interface QueryScan {
  /** Tokens seen, at most `limit + 1`. */
  tokens: number;
  /** True when a `__schema` or `__type` name occurs among them. */
  introspects: boolean;
}

/** Scans `query`, stopping one token past `limit`; null when the lexer rejects it (the runtime reports that). */
export function scanQuery(query: string, limit: number): QueryScan | null {
  const lexer = new Lexer(new Source(query));
  const scan: QueryScan = { tokens: 0, introspects: false };
  try {
    for (let token = lexer.advance(); scan.tokens <= limit && token.kind !== TokenKind.EOF; token = lexer.advance()) {
      scan.tokens++;
      if (token.kind === TokenKind.NAME && (token.value === '__schema' || token.value === '__type')) scan.introspects = true;
    }
  } catch (err) {
    if (err instanceof GraphQLError) return null;
    throw err;
  }
  return scan;
}

/** Tokens in `query`, counting at most `limit + 1`; null when the lexer rejects it. */
export const countTokens = (query: string, limit: number): number | null => scanQuery(query, limit)?.tokens ?? null;

export interface GuardOptions {
  path: string;
  maxTokens: number;
  /** Whether this request may introspect the schema (asked only when the query does). */
  mayIntrospect(request: FastifyRequest): Promise<boolean>;
}

/** A Fastify preValidation hook for the GraphQL route. */
export function requestGuard({ path, maxTokens, mayIntrospect }: GuardOptions) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.routeOptions.url !== path) return;
    const source = request.method === 'GET' ? request.query : request.body;
    if (!source || typeof source !== 'object' || Array.isArray(source)) return;
    const query = (source as { query?: unknown }).query;
    if (query === undefined) return;
    if (typeof query !== 'string') {
      return reply.code(400).send(requestErrorBody(new MosaicError('MOSAIC_ERR_BAD_REQUEST', 'The "query" of a GraphQL request must be a string.')));
    }
    const scan = scanQuery(query, maxTokens);
    if (scan === null) return;
    if (scan.tokens > maxTokens) {
      return reply
        .code(400)
        .send(
          requestErrorBody(new MosaicError('MOSAIC_ERR_TOO_MANY_TOKENS', `The query has more than ${maxTokens} tokens; the limit is ${maxTokens}.`)),
        );
    }
    if (scan.introspects && !(await mayIntrospect(request))) {
      return reply
        .code(400)
        .send(
          requestErrorBody(
            new MosaicError('MOSAIC_ERR_INTROSPECTION_OFF', 'Schema introspection needs a valid token here (security.introspection).'),
          ),
        );
    }
  };
}
