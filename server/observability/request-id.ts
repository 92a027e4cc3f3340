// The request id: the caller's own `x-request-id` when it is well formed (so one id follows a request through
// a client, a proxy and Mosaic), else a random UUID. Fastify's `requestIdHeader` would take any value verbatim
// (https://fastify.dev/docs/latest/Reference/Server/#requestidheader), so the header is read here instead, with
// the rule server/context.ts used before the id moved to Fastify.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const WELL_FORMED = /^[\w.-]{1,128}$/;

/** Fastify's `genReqId`. */
export function requestIdFor(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id'];
  return typeof incoming === 'string' && WELL_FORMED.test(incoming) ? incoming : randomUUID();
}
