// How a GraphQL request ended, from the response alone:
// - `rejected`: refused before execution — a 4xx (limits, CSRF, media types, a rate limit, validation), or a
//   response with `errors` and no `data` entry, which is how GraphQL over HTTP answers a request error to a
//   client that asked for application/json (with a 200; https://graphql.github.io/graphql-over-http/draft/#sec-application-json);
// - `error`: the server failed (5xx), or execution ran and some field failed (`errors` beside `data`);
// - `ok`: otherwise.
//
// The response is read without parsing it: Mercurius hands Fastify an object (seen by the preSerialization hook),
// Apollo Server a string it writes errors-first (@apollo/server runHttpQuery.ts orderExecutionResultFields:
// errors, data, extensions; undefined ones left out), so a top-level `errors` is its first key and a `data`
// entry, when present, follows the errors array.
export type Outcome = 'ok' | 'error' | 'rejected';

/** What a response's top-level `errors` says: none, a request error (no `data`), or field errors. */
export type ErrorsKind = 'none' | 'request' | 'field';

export function errorsIn(payload: unknown): ErrorsKind {
  if (typeof payload === 'string') {
    if (!payload.startsWith('{"errors":[{')) return 'none';
    return payload.trimEnd().endsWith(']}') ? 'request' : 'field';
  }
  if (payload === null || typeof payload !== 'object') return 'none';
  const { errors, data } = payload as { errors?: unknown; data?: unknown };
  if (!Array.isArray(errors) || errors.length === 0) return 'none';
  return data === undefined ? 'request' : 'field';
}

export function outcomeOf(status: number, errors: ErrorsKind): Outcome {
  if (status >= 500) return 'error';
  if (status >= 400 || errors === 'request') return 'rejected';
  return errors === 'field' ? 'error' : 'ok';
}
