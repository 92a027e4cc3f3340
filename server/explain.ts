// "Why is my query slow?" (README): an administrator who sends `x-mosaic-explain: 1` gets
// `extensions.mosaic.plan` in the response — per planned loader batch the candidate plans with their estimates,
// the one chosen and what it cost upstream, and the request's totals (datasources/planner/plan-trace.ts). Nobody
// else ever gets it: the trace exists only for a caller whose validated token holds the admin role, whatever the
// header says. One Fastify onSend hook serves both runtimes alike (Mercurius and Apollo both answer through
// Fastify), so neither needs its own plugin; only explained responses are re-serialised.
import type { FastifyInstance } from 'fastify';
import type { Caller } from '../core/caller.ts';
import { PlanTrace } from '../datasources/planner/plan-trace.ts';

export const EXPLAIN_HEADER = 'x-mosaic-explain';

type Headers = Record<string, string | string[] | undefined>;

/** Traces by the request's headers object: the one thing createContext and the onSend hook both see. */
const traces = new WeakMap<object, PlanTrace>();

/** The request's plan trace when an administrator asked for explain, else null (server/context.ts). */
export function explainFor(headers: Headers, caller: Caller | null): PlanTrace | null {
  if (!caller?.isAdmin || String(headers[EXPLAIN_HEADER] ?? '').trim() !== '1') return null;
  const trace = new PlanTrace();
  traces.set(headers, trace);
  return trace;
}

/** Adds the plan to the JSON answers of explained requests on `path`. */
export function registerExplain(app: FastifyInstance, path: string): void {
  app.addHook('onSend', async (request, reply, payload) => {
    const trace = traces.get(request.headers);
    if (!trace || request.url.split('?')[0] !== path || !/json/.test(String(reply.getHeader('content-type') ?? ''))) return payload;
    if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return payload;
    traces.delete(request.headers);
    let body: any;
    try {
      body = JSON.parse(payload.toString());
    } catch {
      return payload;
    }
    if (body === null || typeof body !== 'object' || !('data' in body)) return payload;
    body.extensions = { ...body.extensions, mosaic: { ...body.extensions?.mosaic, plan: trace.report() } };
    reply.removeHeader('content-length');
    return JSON.stringify(body);
  });
}
