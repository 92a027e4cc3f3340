// Admission control's side of the HTTP exchange (admission.ts): when a request ends, and how a refusal is sent.
// - The end is the response's `close`: Node emits it once the answer is sent and also when the client goes away
//   first (https://nodejs.org/api/http.html#event-close_1), so a ticket is released on every path — success,
//   error, client abort mid-queue or mid-execution.
// - A refused request is answered by the runtime as a GraphQL result with errors (HTTP 200 by default); this
//   onSend hook turns it into 503 with Retry-After, alike for Mercurius and Apollo, before the headers are written.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RequestLifecycle } from '../context.ts';

const refused = new WeakMap<FastifyReply, number>();

export function requestLifecycle(reply: FastifyReply): RequestLifecycle {
  const raw = reply.raw;
  return {
    onEnd(fn) {
      if (raw.closed) fn();
      else raw.once('close', fn);
    },
    overloaded(retryAfterSeconds) {
      refused.set(reply, retryAfterSeconds);
    },
  };
}

/** Fastify onSend hook: 503 + Retry-After for a request admission refused. */
export function overloadedStatus(_request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: null, payload: unknown) => void): void {
  const seconds = refused.get(reply);
  if (seconds !== undefined) reply.code(503).header('retry-after', String(seconds));
  done(null, payload);
}
