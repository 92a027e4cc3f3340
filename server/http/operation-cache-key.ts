// Mercurius keys its document cache by the query text alone and compiles one graphql-jit function per cached entry,
// for the operationName of the request that reached the JIT threshold (mercurius/index.js, `cached.jit =
// compileQuery(schema, document, operationName)`). From then on every request with that text runs that compiled
// operation, whatever operationName it names: a document holding `query A` and `mutation B` would run B for a
// client asking for A — over GET too, past the rule that only queries run over GET. So before Mercurius sees a
// request that names an operation, its text gets the name appended as a comment: the cache key becomes (text,
// operation), and nothing else changes (comments are ignored tokens, so locations and the token count stay as sent).
import type { FastifyReply, FastifyRequest } from 'fastify';

/** A GraphQL Name (https://spec.graphql.org/October2021/#Name): nothing else may reach the comment. */
const NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

/** A Fastify preValidation hook for Mercurius's route, after the request has been read (http/http-protocol.ts). */
export function operationCacheKey(path: string) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    if (request.routeOptions.url !== path) return;
    const params = (request.method === 'GET' ? request.query : request.body) as { query?: unknown; operationName?: unknown } | null;
    if (!params || typeof params !== 'object' || typeof params.query !== 'string') return;
    // An operationName that is not a Name matches no operation: Mercurius refuses it as it stands.
    if (typeof params.operationName !== 'string' || !NAME.test(params.operationName)) return;
    params.query = `${params.query}\n# operation ${params.operationName}`;
  };
}
