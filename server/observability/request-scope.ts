// Which request an upstream call or a loader batch belongs to. The diagnostics channels (core/diagnostics.ts)
// carry no request, so the debug log lines and the spans of a call find their request through an
// AsyncLocalStorage entered when the request arrives (register.ts). Entering one turns on Node's async-context
// tracking for every promise in the process, which is not free (about 3× the cost of a bare `await` on Node 20),
// so it is entered only while tracing or debug logs are on; metrics and info-level logs never need it.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { FastifyBaseLogger } from 'fastify';
import type { Context, Span } from '@opentelemetry/api';

export interface RequestScope {
  /** The gateway that entered it: channels are process-wide, and tests run several gateways in one process. */
  owner: object;
  /** Fastify's request logger, bound to the request id. */
  log: FastifyBaseLogger;
  /** The GraphQL operation's server span and the context that makes it the parent of upstream and batch spans. */
  span: Span | null;
  spanContext: Context | null;
}

export const requestScope = new AsyncLocalStorage<RequestScope>();
