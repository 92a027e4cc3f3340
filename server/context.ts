// The per-request context (resolvers/context.ts declares its shape): request id, the caller from the validated
// Keystone token, the abort signal, and fresh sources and loaders — built lazily, once the caller is known.
// Nothing per-request outlives it.
import { randomUUID } from 'node:crypto';
import type { Services } from './services.ts';
import { MosaicError } from '../core/errors.ts';
import { tenantScope, type Caller } from '../core/caller.ts';
import {
  BatchScheduler,
  UpstreamClient,
  createLoaders,
  createMetricLoaders,
  createSources,
  type Loaders,
  type MetricLoaders,
} from '../datasources/index.ts';
import type { GraphContext } from '../resolvers/context.ts';
import { explainFor } from './explain.ts';

/** The request's HTTP exchange, as admission control sees it (server/limits/admission.ts, admission-http.ts). */
export interface RequestLifecycle {
  /** Runs `fn` once when the exchange ends (answer sent or client gone); at once if it already has. */
  onEnd(fn: () => void): void;
  /** Answer this request 503 with Retry-After (MOSAIC_ERR_OVERLOADED): set on the reply when it is sent. */
  overloaded(retryAfterSeconds: number): void;
}

export interface RequestContext extends GraphContext {
  services: Services;
  /** Absent where there is no HTTP exchange to bound (WebSocket subscriptions): such requests are never queued. */
  lifecycle?: RequestLifecycle;
}

/** The token from `X-Auth-Token`, or `Authorization: Bearer`. */
export function tokenFromHeaders(headers: Record<string, string | string[] | undefined>): string | undefined {
  const direct = headers['x-auth-token'];
  if (typeof direct === 'string' && direct.trim()) return direct.trim();
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  return undefined;
}

/**
 * The caller a request's token names, or null (no token, or one Keystone refuses or cannot check now), for the
 * checks made before a context exists: rate limits, introspection, trusted documents. Validations are cached, so
 * the request's own context validates the same token again for free. `request` attributes the Keystone call to
 * the request in logs and traces.
 */
export async function callerOfRequest(
  services: Services,
  headers: Record<string, string | string[] | undefined>,
  request?: object,
): Promise<Caller | null> {
  const token = tokenFromHeaders(headers);
  if (!token) return null;
  const upstream = new UpstreamClient(services.stack, new BatchScheduler(0));
  upstream.scope = request;
  return services.keystone.validate(upstream, token).catch(() => null);
}

export async function createContext(
  services: Services,
  headers: Record<string, string | string[] | undefined>,
  signal?: AbortSignal,
  /** The HTTP request's id (Fastify's request.id, server/observability/request-id.ts): the one the log lines carry. */
  id?: string,
  /**
   * The Fastify request, as an opaque key: the upstream calls and loader batches of this context carry it on the
   * diagnostics channels, so its log lines and spans are the request's (server/observability/request-scope.ts).
   */
  request?: object,
  /** When the request ends, for admission control (server/limits/admission.ts). */
  lifecycle?: RequestLifecycle,
): Promise<RequestContext> {
  const scheduler = new BatchScheduler(services.config.batching.maxWaitMs);
  const upstream = new UpstreamClient(services.stack, scheduler, signal);
  upstream.scope = request;
  const incomingId = headers['x-request-id'];
  const requestId = id ?? (typeof incomingId === 'string' && /^[\w.-]{1,128}$/.test(incomingId) ? incomingId : randomUUID());
  const token = tokenFromHeaders(headers);
  let callerOrNull: Caller | null = null;
  let authError: MosaicError | null = token ? null : new MosaicError('MOSAIC_ERR_NO_TOKEN');
  if (token) {
    try {
      callerOrNull = await services.keystone.validate(upstream, token);
      upstream.shareScope = tenantScope(callerOrNull);
      upstream.trace = explainFor(headers, callerOrNull); // administrators only (server/explain.ts)
    } catch (err) {
      authError =
        err instanceof MosaicError && err.code !== 'UNAUTHENTICATED'
          ? err
          : new MosaicError('MOSAIC_ERR_BAD_TOKEN', undefined, undefined, { cause: err });
    }
  }
  let loaders: Loaders | undefined;
  let metrics: MetricLoaders | undefined;
  const ctx: RequestContext = {
    requestId,
    services,
    upstream,
    callerOrNull,
    authError,
    lifecycle,
    get caller(): Caller {
      if (!callerOrNull) throw authError ?? new MosaicError('MOSAIC_ERR_NO_TOKEN');
      return callerOrNull;
    },
    get loaders(): Loaders {
      if (!loaders) {
        const caller = ctx.caller;
        const { config, hints } = services;
        loaders = createLoaders(createSources(upstream, caller, config), { caller, config, scheduler, hints, upstream });
      }
      return loaders;
    },
    get metrics(): MetricLoaders {
      metrics ??= createMetricLoaders(services.metering, scheduler, services.config.mongodb.timeoutMs);
      return metrics;
    },
  };
  return ctx;
}
