// The one HTTP client (long-lived: keep-alive agents, timeouts, retries for idempotent calls only) and the
// per-request upstream client built on it, which every datasource uses. The per-request client
// - fetches each GET URL at most once per GraphQL request (DESIGN.md: never call the same URL twice),
// - shares identical GETs in flight with other requests of the same tenant scope (http/coalesce.ts),
// - tells the batch scheduler what is in flight,
// - maps transport failures, upstream statuses and garbled bodies to the error table (http/status-error.ts).
import http from 'node:http';
import https from 'node:https';
import got, { type Got, type Method } from 'got';
import type { MosaicConfig } from '../../core/config.ts';
import type { ServiceName, UpstreamName } from '../../core/services.ts';
import { MosaicError } from '../../core/errors.ts';
import type { BatchScheduler } from '../planner/scheduler.ts';
import { InflightGets } from './coalesce.ts';
import { RETRY_ERROR_CODES, RETRY_METHODS, RETRY_STATUS_CODES, retryDelayMs, retryLimit } from './retry-policy.ts';
import { statusError, transportError, upstreamRequestId } from './status-error.ts';

export interface UpstreamResponse<T = any> {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: T;
  requestId?: string;
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

  constructor(
    private readonly stack: HttpStack,
    private readonly scheduler: BatchScheduler,
    private readonly signal?: AbortSignal,
  ) {}

  /** A GET, fetched at most once per request for the same service, URL and credentials. */
  get<T = any>(service: ServiceName, url: string, headers: Record<string, string> = {}, accept?: number[]): Promise<UpstreamResponse<T>> {
    const key = `${service} ${url} ${headers['x-auth-token'] ?? ''}${headers['x-api-key'] ?? ''}`;
    let pending = this.memo.get(key);
    if (!pending) {
      const credential =
        headers['x-api-key'] !== undefined
          ? `key:${headers['x-api-key']}`
          : this.shareScope
            ? `caller:${this.shareScope}`
            : `token:${headers['x-auth-token'] ?? ''}`;
      const sharedKey = `${service} ${url} ${credential}${accept ? ` ${accept.join(',')}` : ''}`;
      // Shared fetches do not carry this request's abort signal: another request may be waiting on them.
      pending = this.scheduler.track(this.stack.inflight.share(sharedKey, () => this.send(service as UpstreamName, { url, headers, accept }, false)));
      this.memo.set(key, pending);
    }
    return pending as Promise<UpstreamResponse<T>>;
  }

  request<T = any>(service: ServiceName, spec: RequestSpec): Promise<UpstreamResponse<T>> {
    return this.scheduler.track(this.send<T>(service as UpstreamName, spec));
  }

  private async send<T>(service: UpstreamName, spec: RequestSpec, abortable = true): Promise<UpstreamResponse<T>> {
    // The per-request budget (server.maxUpstreamCalls): past it, the fields that need more calls fail, coded,
    // while the rest of the answer stands — no single request can turn into thousands of upstream calls.
    const budget = this.stack.config.server.maxUpstreamCalls;
    if (++this.sent > budget) {
      throw new MosaicError('MOSAIC_ERR_TOO_COSTLY', `This request needs more than ${budget} upstream calls; the limit is ${budget}.`, { service });
    }
    const method = spec.method ?? 'GET';
    const settings = this.stack.config.upstreams[service];
    let response;
    try {
      response = await this.stack.got(spec.url, {
        method,
        headers: { accept: 'application/json', ...spec.headers },
        json: spec.json,
        timeout: { request: settings.timeoutMs },
        retry: { limit: retryLimit(method, settings.retries), methods: [...RETRY_METHODS] },
        signal: abortable ? this.signal : undefined,
      });
    } catch (err) {
      throw transportError(service, err);
    }
    const requestId = upstreamRequestId(response.headers);
    const text = response.body as string;
    let body: unknown = undefined;
    const contentType = String(response.headers['content-type'] ?? '');
    if (text.length > 0 && (contentType.includes('json') || /^\s*[[{]/.test(text))) {
      try {
        body = JSON.parse(text);
      } catch (err) {
        throw new MosaicError(
          'MOSAIC_ERR_UPSTREAM_GARBLED',
          `${service} answered with a malformed body`,
          { service, requestId, status: response.statusCode },
          { cause: err },
        );
      }
    } else if (text.length > 0) {
      body = text;
    }
    const status = response.statusCode;
    if ((status >= 200 && status < 300) || spec.accept?.includes(status)) return { status, headers: response.headers, body: body as T, requestId };
    throw statusError(service, status, body, requestId);
  }
}
