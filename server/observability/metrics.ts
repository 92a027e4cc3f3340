// The gateway's Prometheus metrics (prom-client, https://github.com/siimon/prom-client): GraphQL requests by
// operation and outcome, upstream calls, bytes and errors by service, loader batch sizes, cache lookups and
// breaker states — the last five from the diagnostics channels the datasources publish on (core/diagnostics.ts).
// Each gateway has its own Registry (not prom-client's global one), so two gateways in one test process keep
// their own counts; Node's process metrics come from the one per-process registry (process-metrics.ts).
//
// Label values are bounded (label-cap.ts): operation names are whatever clients send, routes come from upstream
// paths with ids already replaced by `{id}` (core/diagnostics.ts routeOf).
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { channels, type BatchMessage, type BreakerMessage, type CacheMessage, type UpstreamCallMessage } from '../../core/diagnostics.ts';
import { ChannelSubscriptions } from './channel-subscriptions.ts';
import { LabelCap } from './label-cap.ts';
import { errorCodeOf } from './error-code.ts';
import { processMetrics } from './process-metrics.ts';
import type { Outcome } from './outcome.ts';
import { admissionChannel, type AdmissionMessage } from '../limits/admission.ts';

/** Distinct operation names kept as labels; GraphQL names, at most 64 characters. */
const MAX_OPERATIONS = 100;
const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
/** Distinct upstream routes kept as labels, over all services. */
const MAX_ROUTES = 200;
const BREAKER_VALUE: Record<BreakerMessage['state'], number> = { closed: 0, halfOpen: 1, open: 2 };

export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly operations = new LabelCap(MAX_OPERATIONS, OPERATION_NAME);
  private readonly routes = new LabelCap(MAX_ROUTES);
  private readonly subscriptions = new ChannelSubscriptions();

  private readonly requests = new Counter({
    name: 'mosaic_graphql_requests_total',
    help: 'GraphQL requests by operation name (`anonymous` without one, `other` past the label cap) and outcome (ok, error, rejected)',
    labelNames: ['operation', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly requestSeconds = new Histogram({
    name: 'mosaic_graphql_request_duration_seconds',
    help: 'GraphQL request time, from arrival to the last byte of the response',
    labelNames: ['operation'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly upstreamRequests = new Counter({
    name: 'mosaic_upstream_requests_total',
    help: 'Upstream HTTP calls sent, by service, route, method and status (`none` when no response arrived)',
    labelNames: ['service', 'route', 'method', 'status'] as const,
    registers: [this.registry],
  });
  private readonly upstreamSeconds = new Histogram({
    name: 'mosaic_upstream_request_duration_seconds',
    help: 'Upstream HTTP call time, retries included',
    labelNames: ['service', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly upstreamBytes = new Counter({
    name: 'mosaic_upstream_response_bytes_total',
    help: 'Upstream response body bytes received, by service',
    labelNames: ['service'] as const,
    registers: [this.registry],
  });
  private readonly upstreamErrors = new Counter({
    name: 'mosaic_upstream_errors_total',
    help: 'Upstream calls that failed, by service and mosaicCode (core/errors.ts)',
    labelNames: ['service', 'code'] as const,
    registers: [this.registry],
  });
  private readonly batchSize = new Histogram({
    name: 'mosaic_loader_batch_size',
    help: 'Keys per loader batch',
    labelNames: ['loader'] as const,
    buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000],
    registers: [this.registry],
  });
  private readonly cacheLookups = new Counter({
    name: 'mosaic_cache_lookups_total',
    help: 'Cache lookups by cache (token, fleet, inflight, memo) and result (hit, miss)',
    labelNames: ['cache', 'result'] as const,
    registers: [this.registry],
  });
  private readonly breakerState = new Gauge({
    name: 'mosaic_breaker_state',
    help: 'Circuit breaker state by service: 0 closed, 1 half-open, 2 open',
    labelNames: ['service'] as const,
    registers: [this.registry],
  });

  // Admission of heavy requests (server/limits/admission.ts): the counts after each change, and the refusals.
  private readonly heavyRequests = new Gauge({
    name: 'mosaic_heavy_requests',
    help: 'Heavy requests (cost estimate at least server.heavyCost) by state: running (holding an admission slot) or queued',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });
  private readonly heavyRefused = new Counter({
    name: 'mosaic_heavy_requests_refused_total',
    help: 'Heavy requests refused with MOSAIC_ERR_OVERLOADED (503), by reason: queue-full or timeout',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  /** `breakers`: the services whose breaker is on, shown closed (0) until one changes. */
  constructor(breakers: readonly string[] = []) {
    processMetrics(); // from start-up, so the event-loop and GC figures cover the time before the first scrape
    for (const service of breakers) this.breakerState.labels(service).set(0);
    // Every message of the process is counted: in production one process is one gateway.
    this.subscriptions
      .on<UpstreamCallMessage>(channels.upstreamEnd, (m) => {
        const route = this.routes.of(m.route);
        this.upstreamRequests.labels(m.service, route, m.method, m.status === undefined ? 'none' : String(m.status)).inc();
        if (m.durationMs !== undefined) this.upstreamSeconds.labels(m.service, route).observe(m.durationMs / 1000);
        if (m.bytes) this.upstreamBytes.labels(m.service).inc(m.bytes);
        if (m.error) this.upstreamErrors.labels(m.service, errorCodeOf(m.error)).inc();
      })
      .on<BatchMessage>(channels.batchStart, (m) => this.batchSize.labels(m.loader).observe(m.keys))
      .on<CacheMessage>(channels.cache, (m) => this.cacheLookups.labels(m.cache, m.hit ? 'hit' : 'miss').inc())
      .on<BreakerMessage>(channels.breaker, (m) => this.breakerState.labels(m.service).set(BREAKER_VALUE[m.state] ?? 0))
      .on<AdmissionMessage>(admissionChannel, (m) => {
        this.heavyRequests.labels('running').set(m.inFlight);
        this.heavyRequests.labels('queued').set(m.queued);
        if (m.event === 'refused' && m.reason) this.heavyRefused.labels(m.reason).inc();
      });
    this.heavyRequests.labels('running').set(0);
    this.heavyRequests.labels('queued').set(0);
  }

  /** Counts one GraphQL request; `operation` is the name the client gave, or null. */
  observeRequest(operation: string | null, outcome: Outcome, seconds: number): void {
    const name = operation === null ? 'anonymous' : this.operations.of(operation);
    this.requests.labels(name, outcome).inc();
    this.requestSeconds.labels(name).observe(seconds);
  }

  readonly contentType = this.registry.contentType;

  /** The exposition text: the process's metrics, then this gateway's. */
  async render(): Promise<string> {
    const [process, own] = await Promise.all([processMetrics().metrics(), this.registry.metrics()]);
    return `${process}\n${own}`;
  }

  close(): void {
    this.subscriptions.close();
  }
}
