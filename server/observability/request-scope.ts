// Which request an upstream call or a loader batch belongs to. The datasources put the request's handle (the
// Fastify request, an opaque key set by server/context.ts) on the diagnostics messages (core/diagnostics.ts
// `request`), and each gateway maps its own requests' handles to their logger and span here, from the onRequest
// hook (register.ts). A WeakMap, so an entry goes with its request.
//
// An AsyncLocalStorage entered per request did this before: entering one turns on Node's async-context tracking
// for every promise in the process (about 3× the cost of a bare `await` on Node 20), a few percent of the
// gateway's CPU in the bench. A handle that is not in a gateway's map belongs to another gateway of the same
// process (tests run several); a message without one was sent on no request's behalf.
import type { FastifyBaseLogger } from 'fastify';
import type { Context } from '@opentelemetry/api';

export interface RequestScope {
  /** Fastify's request logger, bound to the request id. */
  log: FastifyBaseLogger;
  /** The context whose active span is the GraphQL operation's server span: the parent of batch and upstream spans. */
  spanContext: Context | null;
}

/** One gateway's requests, by the handle their messages carry. */
export type RequestScopes = WeakMap<object, RequestScope>;
