// The one HTTP client (long-lived: keep-alive agents, timeouts, retries for idempotent calls only) and the
// per-request upstream client built on it, which every datasource uses. The per-request client
// - fetches each GET URL at most once per GraphQL request (DESIGN.md: never call the same URL twice): small
//   answers stay in the request's memo, big ones (over MEMO_MAX_BYTES: list pages) only until the consumers
//   waiting for them have them — the sources map each page as it arrives and the loaders keep the mapped records
//   under RequestState.once() or DataLoader's cache, so no raw page JSON is held past its mapping (issue #8),
// - shares identical GETs in flight with other requests of the same tenant scope (http/coalesce.ts),
// - tells the batch scheduler what is in flight,
// - maps transport failures, upstream statuses and garbled bodies to the error table (http/status-error.ts),
// - refuses calls to an upstream whose circuit breaker is open (http/breaker.ts),
// - publishes every upstream call and cache lookup on the core/diagnostics.ts channels, for logs, metrics and
//   traces to subscribe to (building nothing when nobody listens),
// - feeds every answered call's time, size and record count to the long-lived UpstreamStats the planner prices
//   plans with (planner/upstream-stats.ts), and to the request's plan trace when an administrator asked for explain.
import http from 'node:http';
import https from 'node:https';
import got, { type Got, type Method } from 'got';
import type { MosaicConfig } from '../../core/config.ts';
import type { ServiceName, UpstreamName } from '../../core/services.ts';
import { MosaicError } from '../../core/errors.ts';
import { channels, routeOf, type UpstreamCallMessage } from '../../core/diagnostics.ts';
import type { BatchScheduler } from '../planner/scheduler.ts';
import { Breakers, outcomeOf, type Admission, type CircuitBreaker, type Outcome } from './breaker.ts';
import { InflightGets } from './coalesce.ts';
import { RETRY_ERROR_CODES, RETRY_METHODS, RETRY_STATUS_CODES, retryDelayMs, retryLimit } from './retry-policy.ts';
import { statusError, transportError, upstreamRequestId } from './status-error.ts';
import { ApiVersions } from '../discovery/api-versions.ts';
import { UpstreamStats } from '../planner/upstream-stats.ts';
import type { PlanTrace } from '../planner/plan-trace.ts';

/**
 * Bodies larger than this leave the request's memo once the consumers already waiting for them have them. Per-key
 * lookups (1–3 KB) and small lists stay memoised for the whole request; a 1000-record page (~1–2 MB of JSON, several
 * times that parsed) is held by its consumer only until it is mapped, not by the memo until the request ends.
 */
export const MEMO_MAX_BYTES = 64 * 1024;

export interface UpstreamResponse<T = any> {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: T;
  requestId?: string;
  /** Size of the body as received. */
  bytes?: number;
}

export interface RequestSpec {
  method?: Method;
  url: string;
  headers?: Record<string, string>;
  json?: unknown;
  /** Statuses that are answers rather than failures (e.g. 404 for a lookup). Others raise. */
  accept?: number[];
}

/** Built once at start-up and shared by every request. */
export interface HttpStack {
  got: Got;
  config: MosaicConfig;
  inflight: InflightGets<UpstreamResponse>;
  /** One circuit breaker per upstream service; `breakers.state(service)` for readiness and metrics. */
  breakers: Breakers;
  /** Each OpenStack endpoint root's version document, read once (datasources/discovery/api-versions.ts). */
  versions: ApiVersions;
  /** Round trips, transfer and parse costs and record sizes learned per upstream, for the planner's cost model. */
  stats: UpstreamStats;
  close(): void;
}

export function createHttpStack(config: MosaicConfig): HttpStack {
  const agentOptions = { keepAlive: true, maxSockets: 256, maxFreeSockets: 64, scheduling: 'lifo' as const };
  const agent = { http: new http.Agent(agentOptions), https: new https.Agent(agentOptions) };
  const client = got.extend({
    agent,
    throwHttpErrors: false,
    followRedirect: false,
    responseType: 'text',
    // Narrowed per request by retryLimit(): got's own default would also retry PUT and DELETE.
    retry: { limit: 0, statusCodes: RETRY_STATUS_CODES, errorCodes: RETRY_ERROR_CODES, calculateDelay: retryDelayMs },
  });
  return {
    got: client,
    config,
    inflight: new InflightGets(),
    breakers: new Breakers(config.breaker),
    versions: new ApiVersions(config.keystone.region, config.keystone.interface),
    stats: new UpstreamStats(),
    close() {
      agent.http.destroy();
      agent.https.destroy();
    },
  };
}

export class UpstreamClient {
  private readonly memo = new Map<string, Promise<UpstreamResponse>>();
  /**
   * The tenant scope of the request's credential (core/caller.ts tenantScope), set once the token is validated.
   * Requests of the same scope share in-flight GETs even when their tokens differ; until it is set, only the
   * same token shares.
   */
  shareScope: string | null = null;
  /** Upstream calls this request has sent (memoised and shared GETs are not sent again, so they do not count). */
  private sent = 0;
  /** Set for an administrator's `x-mosaic-explain: 1` request (server/explain.ts): every call is reported to it. */
  trace: PlanTrace | null = null;
  /**
   * The request this client calls for, as an opaque key (server/context.ts sets it to the Fastify request): sent
   * as `request` on the diagnostics messages, so logs and traces tell which request a call belongs to. Unset
   * for clients that call on no request's behalf (background polls).
   */
  scope: object | undefined = undefined;

  constructor(
    private readonly stack: HttpStack,
    /** The request's batch scheduler: loaders outside datasources/ (server/federation/) dispatch on it too. */
    readonly scheduler: BatchScheduler,
    private readonly signal?: AbortSignal,
  ) {}

  /** The long-lived version documents of the OpenStack endpoints (the sources' API and microversion choice). */
  get versions(): ApiVersions {
    return this.stack.versions;
  }

  /** Upstream calls this request may still send under server.maxUpstreamCalls (a plan needing more cannot finish). */
  get remainingCalls(): number {
    return this.stack.config.server.maxUpstreamCalls - this.sent;
  }

  /** The long-lived upstream timings and sizes the planner prices plans with. */
  get stats(): UpstreamStats {
    return this.stack.stats;
  }

  /** A GET, fetched at most once per request for the same service, URL and credentials. */
  get<T = any>(service: ServiceName, url: string, headers: Record<string, string> = {}, accept?: number[]): Promise<UpstreamResponse<T>> {
    const key = `${service} ${url} ${headers['x-auth-token'] ?? ''}${headers['x-api-key'] ?? ''}`;
    let pending = this.memo.get(key);
    const observed = channels.cache.hasSubscribers;
    if (observed) channels.cache.publish({ cache: 'memo', hit: pending !== undefined });
    if (!pending) {
      const credential =
        headers['x-api-key'] !== undefined
          ? `key:${headers['x-api-key']}`
          : this.shareScope
            ? `caller:${this.shareScope}`
            : `token:${headers['x-auth-token'] ?? ''}`;
      const sharedKey = `${service} ${url} ${credential}${accept ? ` ${accept.join(',')}` : ''}`;
      if (observed) channels.cache.publish({ cache: 'inflight', hit: this.stack.inflight.has(sharedKey) });
      // Shared fetches do not carry this request's abort signal: another request may be waiting on them.
      const fetched = this.scheduler.track(
        this.stack.inflight.share(sharedKey, () => this.send(service as UpstreamName, { url, headers, accept }, false)),
      );
      this.memo.set(key, fetched);
      // Consumers already holding this promise get the answer whatever the memo holds; only a get() of the same URL
      // after it arrived fetches a big body again (the loaders keep mapped lists, so they do not ask twice).
      fetched.then(
        (res) => {
          if ((res.bytes ?? 0) > MEMO_MAX_BYTES && this.memo.get(key) === fetched) this.memo.delete(key);
        },
        () => undefined,
      );
      pending = fetched;
    }
    return pending as Promise<UpstreamResponse<T>>;
  }

  /**
   * One call, sent as is. `tracked: false` keeps it out of the batch scheduler's in-flight count (a subgraph's
   * `_entities` call, whose answer never brings the REST loaders a parent: server/federation/subgraph-client.ts);
   * it still counts against the budget and shows in metrics and traces like any other.
   */
  request<T = any>(service: ServiceName, spec: RequestSpec, options: { tracked?: boolean } = {}): Promise<UpstreamResponse<T>> {
    const sending = this.send<T>(service as UpstreamName, spec);
    return options.tracked === false ? sending : this.scheduler.track(sending);
  }

  private async send<T>(service: UpstreamName, spec: RequestSpec, abortable = true): Promise<UpstreamResponse<T>> {
    // The per-request budget (server.maxUpstreamCalls): past it, the fields that need more calls fail, coded,
    // while the rest of the answer stands — no single request can turn into thousands of upstream calls.
    const budget = this.stack.config.server.maxUpstreamCalls;
    if (this.sent >= budget) {
      throw new MosaicError('MOSAIC_ERR_TOO_COSTLY', `This request needs more than ${budget} upstream calls; the limit is ${budget}.`, { service });
    }
    // Refused calls are not sent: they count neither against the budget nor as upstream calls on the channels.
    const breaker = this.stack.breakers.for(service);
    const admission: Admission = breaker ? breaker.enter() : 'call';
    if (admission === null) {
      throw new MosaicError('MOSAIC_ERR_CIRCUIT_OPEN', `${service} is failing; calls to it are paused for a moment`, { service });
    }
    this.sent++;
    const method = spec.method ?? 'GET';
    const headers: Record<string, string> = { accept: 'application/json', ...spec.headers };
    const call: UpstreamCallMessage | undefined =
      channels.upstreamStart.hasSubscribers || channels.upstreamEnd.hasSubscribers
        ? { service, method, route: routeOf(spec.url), url: spec.url, headers, request: this.scope }
        : undefined;
    let outcome: Outcome = 'ignored';
    let started = 0;
    const trace = this.trace;
    let traced: UpstreamResponse<T> | undefined;
    const tracedFrom = trace ? performance.now() : 0;
    trace?.callStarted(service);
    if (call) {
      // Subscribers run inside publish() and may add headers (traceparent) to `headers`, which is what is sent.
      if (channels.upstreamStart.hasSubscribers) channels.upstreamStart.publish(call);
      started = performance.now();
    }
    try {
      const response = await this.exchange<T>(service, spec, method, headers, abortable, breaker, call);
      outcome = 'ok';
      traced = response;
      return response;
    } catch (err) {
      outcome = outcomeOf(err, abortable && this.signal?.aborted === true);
      if (call) call.error = err as Error;
      throw err;
    } finally {
      if (breaker) breaker.leave(admission, outcome);
      trace?.callEnded(service, performance.now() - tracedFrom, traced?.bytes ?? 0);
      if (call) {
        call.durationMs = performance.now() - started;
        if (channels.upstreamEnd.hasSubscribers) channels.upstreamEnd.publish(call);
      }
    }
  }

  /** One call on the wire (with got's retries for GET and HEAD) and its answer mapped to a response or a MosaicError. */
  private async exchange<T>(
    service: UpstreamName,
    spec: RequestSpec,
    method: Method,
    headers: Record<string, string>,
    abortable: boolean,
    breaker: CircuitBreaker | undefined,
    call: UpstreamCallMessage | undefined,
  ): Promise<UpstreamResponse<T>> {
    const settings = this.stack.config.upstreams[service];
    let response;
    const sentAt = performance.now();
    try {
      response = await this.stack.got(spec.url, {
        method,
        headers,
        json: spec.json,
        timeout: { request: settings.timeoutMs },
        retry: {
          limit: retryLimit(method, settings.retries),
          methods: [...RETRY_METHODS],
          // No more attempts once the upstream's breaker has opened (or this call is its half-open probe).
          calculateDelay: (retry) => (breaker && breaker.state !== 'closed' ? 0 : retryDelayMs(retry)),
        },
        signal: abortable ? this.signal : undefined,
      });
    } catch (err) {
      throw transportError(service, err);
    }
    const arrivedMs = performance.now() - sentAt;
    const status = response.statusCode;
    const bytes = response.rawBody?.length ?? Buffer.byteLength(response.body as string);
    if (call) {
      call.status = status;
      call.bytes = bytes;
    }
    const requestId = upstreamRequestId(response.headers);
    const text = response.body as string;
    let body: unknown = undefined;
    const contentType = String(response.headers['content-type'] ?? '');
    if (text.length > 0 && (contentType.includes('json') || /^\s*[[{]/.test(text))) {
      try {
        const parseFrom = performance.now();
        body = JSON.parse(text);
        this.stack.stats.observeParse(performance.now() - parseFrom, bytes);
      } catch (err) {
        throw new MosaicError(
          'MOSAIC_ERR_UPSTREAM_GARBLED',
          `${service} answered with a malformed body`,
          { service, requestId, status },
          { cause: err },
        );
      }
    } else if (text.length > 0) {
      body = text;
    }
    this.stack.stats.observe(service, arrivedMs, bytes, status < 300 ? body : null);
    if ((status >= 200 && status < 300) || spec.accept?.includes(status))
      return { status, headers: response.headers, body: body as T, requestId, bytes };
    throw statusError(service, status, body, requestId);
  }
}
