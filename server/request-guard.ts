// Checks made on a GraphQL request before either runtime parses it: the query, when present, is a string, and
// has at most server.maxTokens lexical tokens — counted with graphql-js's own lexer and abandoned one token past
// the limit, so an oversized document costs no more than the limit to refuse (graphql-js's parse() has the same
// `maxTokens` idea, but neither runtime exposes it). Shape limits on the parsed document are query-limits.ts.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GraphQLError, Lexer, Source, TokenKind } from 'graphql';
import { MosaicError } from '../core/errors.ts';
import { requestErrorBody } from './request-errors.ts';

/** Tokens in `query`, counting at most `limit + 1`; null when the lexer rejects it (the runtime reports that). */
export function countTokens(query: string, limit: number): number | null {
  const lexer = new Lexer(new Source(query));
  let n = 0;
  try {
    while (n <= limit && lexer.advance().kind !== TokenKind.EOF) n++;
  } catch (err) {
    if (err instanceof GraphQLError) return null;
    throw err;
  }
  return n;
}

/** A Fastify preValidation hook for the GraphQL route. */
export function requestGuard(path: string, maxTokens: number) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.routeOptions.url !== path) return;
    const source = request.method === 'GET' ? request.query : request.body;
    if (!source || typeof source !== 'object' || Array.isArray(source)) return;
    const query = (source as { query?: unknown }).query;
    if (query === undefined) return;
    if (typeof query !== 'string') {
      return reply.code(400).send(requestErrorBody(new MosaicError('MOSAIC_ERR_BAD_REQUEST', 'The "query" of a GraphQL request must be a string.')));
    }
    const tokens = countTokens(query, maxTokens);
    if (tokens !== null && tokens > maxTokens) {
      return reply
        .code(400)
        .send(
          requestErrorBody(new MosaicError('MOSAIC_ERR_TOO_MANY_TOKENS', `The query has more than ${maxTokens} tokens; the limit is ${maxTokens}.`)),
        );
    }
  };
}
