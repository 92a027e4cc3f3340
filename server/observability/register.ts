// Wires logs, metrics and traces into the gateway's Fastify app (server/app.ts calls this once, right after
// creating the app, so its hooks run first — before any hook that may answer early, like a rate limit):
// - every response carries `x-request-id` (the id every log line of the request has as `reqId`),
// - GraphQL requests are counted and timed (metrics.ts) and traced (tracing.ts), with their outcome read from
//   the response (outcome.ts),
// - `GET /metrics` serves the Prometheus exposition when observability.metrics is on,
// - the diagnostics-channel subscribers (upstream-log.ts, metrics.ts, tracing.ts) are dropped when the app closes.
//
// /metrics has no authentication: it exposes no tenant data (counts by service, route, loader and the operation
// names clients chose), Prometheus scrapers rarely carry credentials, and operators restrict it at the network
// (a NetworkPolicy, or an ingress that does not route /metrics), as with /healthz and /readyz.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { MosaicConfig } from '../../core/config.ts';
import { UPSTREAMS } from '../../core/services.ts';
import { GatewayMetrics } from './metrics.ts';
import type { GatewayTracing, OperationSpan } from './tracing.ts';
import { tracingEnabled } from './tracing-setting.ts';
import { subscribeUpstreamLogs } from './upstream-log.ts';
import { levelEnabled } from './logger.ts';
import { operationOf } from './operation.ts';
import { errorsIn, outcomeOf, type ErrorsKind } from './outcome.ts';
import type { RequestScopes } from './request-scope.ts';

export interface ObservabilityOptions {
  /** The GraphQL route. */
  graphqlPath: string;
  /** OTLP/HTTP traces URL overriding the OTEL_EXPORTER_OTLP_* variables (tests). */
  tracesUrl?: string;
}

/** What is known about a GraphQL request between its hooks. */
interface Observation {
  operationSpan: OperationSpan | null;
  errors: ErrorsKind;
}

export async function registerObservability(app: FastifyInstance, config: MosaicConfig, options: ObservabilityOptions): Promise<void> {
  const { observability } = config;
  /** This gateway's requests, by the handle their upstream calls and batches carry (request-scope.ts). */
  const scopes: RequestScopes = new WeakMap();
  const metrics = observability.metrics ? new GatewayMetrics(config.breaker.enabled ? UPSTREAMS : []) : null;
  // The OpenTelemetry SDK and exporter are imported only when tracing is on.
  const tracing: GatewayTracing | null = tracingEnabled(observability.tracing)
    ? new (await import('./tracing.ts')).GatewayTracing(scopes, options.tracesUrl)
    : null;
  const logs = subscribeUpstreamLogs(app.log, observability.logLevel, scopes);
  // Only spans and debug lines need to know which request an upstream call belongs to.
  const scoped = tracing !== null || levelEnabled(observability.logLevel, 'debug');
  const observations = new WeakMap<FastifyRequest, Observation>();

  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    const graphql = request.routeOptions.url === options.graphqlPath;
    const operationSpan = graphql && tracing ? tracing.startOperation(request.method, options.graphqlPath, request.headers, request.id) : null;
    if (graphql && (metrics || tracing)) observations.set(request, { operationSpan, errors: 'none' });
    // The handle is the request itself: server/app.ts hands it to createContext, whose upstream client and
    // loaders put it on their messages.
    if (scoped) scopes.set(request, { log: request.log, spanContext: operationSpan?.context ?? null });
    done();
  });

  if (metrics || tracing) {
    // Mercurius hands Fastify an object, Apollo Server a string: one hook each sees whether `errors` is present.
    app.addHook('preSerialization', (request, _reply, payload, done) => {
      const observation = observations.get(request);
      if (observation) observation.errors = errorsIn(payload);
      done(null, payload);
    });
    app.addHook('onSend', (request, _reply, payload, done) => {
      const observation = observations.get(request);
      if (observation?.errors === 'none' && typeof payload === 'string') observation.errors = errorsIn(payload);
      done(null, payload);
    });
    app.addHook('onResponse', (request, reply, done) => {
      const observation = observations.get(request);
      if (observation) {
        const operation = operationOf(request.method === 'GET' ? request.query : request.body);
        const outcome = outcomeOf(reply.statusCode, observation.errors);
        metrics?.observeRequest(operation.name, outcome, reply.elapsedTime / 1000);
        if (observation.operationSpan) tracing!.endOperation(observation.operationSpan.span, operation, reply.statusCode, outcome);
      }
      done();
    });
  }

  if (metrics) {
    // Scraped every few seconds: its own request lines would drown the log at info.
    app.get('/metrics', { logLevel: 'warn' }, async (_request, reply) => reply.type(metrics.contentType).send(await metrics.render()));
  }

  app.addHook('onClose', async () => {
    logs.close();
    metrics?.close();
    await tracing?.shutdown();
  });
}
