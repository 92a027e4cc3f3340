// What the gateway tells its observers, as Node diagnostics channels (https://nodejs.org/api/diagnostics_channel.html):
// the datasources publish upstream calls, loader batches, cache lookups and breaker changes here, and logs,
// metrics and traces (server/observability/) subscribe. Publishing costs one `hasSubscribers` check when nobody
// listens, and the datasources never import a metrics or tracing library. Subscribers run synchronously inside
// publish(): an `upstreamStart` subscriber may add headers (W3C traceparent) to the message before the call is sent.
import diagnostics from 'node:diagnostics_channel';

export interface UpstreamCallMessage {
  /** The upstream service (keystone, nova, …). */
  service: string;
  method: string;
  /** The URL path with ids replaced by `{id}` and no query string: a low-cardinality label. */
  route: string;
  url: string;
  /** Outgoing headers; an upstreamStart subscriber may add to them. */
  headers: Record<string, string>;
  /** Set before upstreamEnd is published. */
  status?: number;
  durationMs?: number;
  /** Response body size in bytes. */
  bytes?: number;
  /** The error the call ended with (a MosaicError), if any. */
  error?: Error;
  /**
   * The GraphQL request the call is made for (an opaque per-request key, never serialised or logged): subscribers
   * find the request's logger and span by it (server/observability/request-scope.ts). Absent for calls made on
   * no request's behalf (token revocation polls, the operations tracker, the events consumer).
   */
  request?: object;
}

export interface BatchMessage {
  /** The loader's name, e.g. `nova.servers`. */
  loader: string;
  keys: number;
  durationMs?: number;
  error?: Error;
  /** The request the batch belongs to, as on UpstreamCallMessage: an opaque key, never serialised. */
  request?: object;
}

export interface CacheMessage {
  /** token, fleet, inflight (shared in-flight GETs), memo (same URL within a request). */
  cache: string;
  hit: boolean;
}

export interface BreakerMessage {
  service: string;
  state: 'open' | 'halfOpen' | 'closed';
}

export const channels = {
  upstreamStart: diagnostics.channel('mosaic.upstream.start'),
  upstreamEnd: diagnostics.channel('mosaic.upstream.end'),
  batchStart: diagnostics.channel('mosaic.batch.start'),
  batchEnd: diagnostics.channel('mosaic.batch.end'),
  cache: diagnostics.channel('mosaic.cache'),
  breaker: diagnostics.channel('mosaic.breaker'),
} as const;

/** Ids in upstream paths (UUIDs, hex ids, numbers) become `{id}` so a route names an endpoint, not an object. */
export function routeOf(url: string): string {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    path = url.split('?')[0];
  }
  return path
    .split('/')
    .map((seg) =>
      /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(seg) || /^\d+$/.test(seg) || /^[0-9a-f]{24,}$/i.test(seg)
        ? '{id}'
        : seg,
    )
    .join('/');
}
