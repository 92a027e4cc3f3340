// The one HTTP client (long-lived: keep-alive agents, timeouts, retries for idempotent calls only) and the
// per-request upstream client built on it, which every datasource uses. The per-request client
// - fetches each GET URL at most once per GraphQL request (DESIGN.md: never call the same URL twice),
// - tells the batch scheduler what is in flight,
// - maps transport failures, upstream statuses and garbled bodies to the error table with the service name
//   and the upstream's request id (`X-Openstack-Request-Id` / `X-Compute-Request-Id`).
import http from 'node:http';
import https from 'node:https';
import got, { type Got, type Method, RequestError } from 'got';
import type { MosaicConfig, UpstreamName } from '../server/config.ts';
import { MosaicError } from '../server/errors.ts';
import type { BatchScheduler } from './batch-scheduler.ts';

export type ServiceName = UpstreamName | 'mongodb';

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
  /**
   * GETs in flight across all requests, keyed by service, URL and the credential sent. A request that needs
   * the same answer while it is on its way waits for it instead of asking again: under load, identical dashboard
   * or console queries share one upstream call and one parsed body. Entries leave when the answer arrives, so
   * nothing is served that was not fetched for this moment, and the credential in the key keeps tenants apart.
   */
  inflight: Map<string, Promise<UpstreamResponse>>;
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
    // got's default retry covers GET/PUT/HEAD/DELETE/OPTIONS/TRACE; we narrow it per request (below) to the
    // idempotent reads and never retry a write. Delays stay short: a gateway request has its own deadline.
    retry: {
      limit: 0,
      statusCodes: [502, 503, 504],
      errorCodes: ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'ENETUNREACH'],
      calculateDelay: ({ attemptCount, computedValue }) => (computedValue === 0 ? 0 : Math.min(25 * attemptCount, 200)),
    },
  });
  return {
    got: client,
    config,
    inflight: new Map(),
    close() {
      agent.http.destroy();
      agent.https.destroy();
    },
  };
}

const REQUEST_ID_HEADERS = ['x-openstack-request-id', 'x-compute-request-id', 'x-request-id'];

function upstreamRequestId(headers: http.IncomingHttpHeaders): string | undefined {
  for (const h of REQUEST_ID_HEADERS) {
    const v = headers[h];
    if (typeof v === 'string') return v;
  }
  return undefined;
}

/** The human message inside an OpenStack error body, whatever its shape (they all differ). */
export function upstreamMessage(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const b = body as Record<string, any>;
  if (typeof b.message === 'string') return b.message; // Glance
  if (b.error && typeof b.error.message === 'string') return b.error.message; // Keystone and 401s
  if (b.NeutronError && typeof b.NeutronError.message === 'string') return b.NeutronError.message; // Neutron
  for (const value of Object.values(b)) {
    // Nova and Cinder: {"itemNotFound": {"code": 404, "message": "…"}} with a varying key.
    if (value && typeof value === 'object' && typeof (value as any).message === 'string') return (value as any).message;
  }
  return undefined;
}

export class UpstreamClient {
  private readonly memo = new Map<string, Promise<UpstreamResponse>>();
  /** Every upstream request this GraphQL request made, for logs and tests. */
  readonly log: string[] = [];
  /**
   * Who the request's credential speaks for — user, project and roles, which is all OpenStack policy looks at —
   * set once the token is validated. Requests of the same scope share in-flight GETs even when their tokens
   * differ (one console open in several tabs); until it is set, only the same token shares.
   */
  shareScope: string | null = null;

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
      const credential = headers['x-api-key'] !== undefined ? `key:${headers['x-api-key']}` : this.shareScope ?? `token:${headers['x-auth-token'] ?? ''}`;
      const sharedKey = `${service} ${url} ${credential}${accept ? ` ${accept.join(',')}` : ''}`;
      const shared = this.stack.inflight.get(sharedKey);
      if (shared) {
        this.log.push(`${service} GET ${url} (shared)`);
        pending = this.scheduler.track(shared);
      } else {
        // Shared fetches do not carry this request's abort signal: another request may be waiting on them.
        const fetch = this.send(service as UpstreamName, { url, headers, accept }, false);
        this.stack.inflight.set(sharedKey, fetch);
        const forget = () => this.stack.inflight.delete(sharedKey);
        fetch.then(forget, forget);
        pending = this.scheduler.track(fetch);
      }
      this.memo.set(key, pending);
    }
    return pending as Promise<UpstreamResponse<T>>;
  }

  request<T = any>(service: ServiceName, spec: RequestSpec): Promise<UpstreamResponse<T>> {
    return this.scheduler.track(this.send<T>(service as UpstreamName, spec));
  }

  private async send<T>(service: UpstreamName, spec: RequestSpec, abortable = true): Promise<UpstreamResponse<T>> {
    const method = spec.method ?? 'GET';
    const settings = this.stack.config.upstreams[service];
    const idempotent = method === 'GET' || method === 'HEAD';
    this.log.push(`${service} ${method} ${spec.url}`);
    let response;
    try {
      response = await this.stack.got(spec.url, {
        method,
        headers: { accept: 'application/json', ...spec.headers },
        json: spec.json,
        timeout: { request: settings.timeoutMs },
        retry: { limit: idempotent ? settings.retries : 0, methods: ['GET', 'HEAD'] },
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
      } catch {
        throw new MosaicError('MOSAIC_ERR_UPSTREAM_GARBLED', `${service} answered with a malformed body`, { service, requestId, status: response.statusCode });
      }
    } else if (text.length > 0) {
      body = text;
    }
    const status = response.statusCode;
    if ((status >= 200 && status < 300) || spec.accept?.includes(status)) return { status, headers: response.headers, body: body as T, requestId };
    throw statusError(service, status, body, requestId);
  }
}

/** An upstream answered 2xx with JSON of the wrong shape. */
export const garbled = (service: string, what: string) => new MosaicError('MOSAIC_ERR_UPSTREAM_GARBLED', `${service} answered with an unexpected body (${what})`, { service });

function transportError(service: string, err: unknown): MosaicError {
  if (err instanceof RequestError) {
    if (err.name === 'TimeoutError' || err.code === 'ETIMEDOUT') {
      return new MosaicError('MOSAIC_ERR_UPSTREAM_TIMEOUT', `${service} did not answer in time`, { service });
    }
    if (err.name === 'AbortError' || err.code === 'ERR_ABORTED') {
      return new MosaicError('MOSAIC_ERR_UPSTREAM_UNAVAILABLE', `the request to ${service} was cancelled`, { service });
    }
    return new MosaicError('MOSAIC_ERR_UPSTREAM_UNAVAILABLE', `${service} is unreachable (${err.code ?? 'connection failed'})`, { service });
  }
  return new MosaicError('MOSAIC_ERR_UPSTREAM_UNAVAILABLE', `${service} is unreachable`, { service });
}

export function statusError(service: string, status: number, body: unknown, requestId?: string): MosaicError {
  const detail = upstreamMessage(body);
  const info = { service, requestId, status };
  if (status === 401) return new MosaicError('MOSAIC_ERR_BAD_TOKEN', detail ? `${service}: ${detail}` : undefined, info);
  if (status === 403) return new MosaicError('MOSAIC_ERR_UPSTREAM_FORBIDDEN', detail ? `${service}: ${detail}` : undefined, info);
  if (status === 404) return new MosaicError('MOSAIC_ERR_NOT_FOUND', detail ? `${service}: ${detail}` : undefined, info);
  // A proxy in front of the service answering for it: the service itself is down or too slow.
  if (status === 502 || status === 503) return new MosaicError('MOSAIC_ERR_UPSTREAM_UNAVAILABLE', `${service} is unavailable (HTTP ${status})`, info);
  if (status === 504) return new MosaicError('MOSAIC_ERR_UPSTREAM_TIMEOUT', `${service} timed out behind its proxy (HTTP 504)`, info);
  return new MosaicError('MOSAIC_ERR_UPSTREAM_STATUS', `${service} answered ${status}${detail ? `: ${detail}` : ''}`, info);
}
