// The per-request context: request id, the caller from the validated Keystone token, the abort signal, and
// fresh datasources and loaders (built lazily, only once the caller is known). Nothing per-request outlives it.
import { randomUUID } from 'node:crypto';
import type { Services } from './services.ts';
import { MosaicError } from './errors.ts';
import { UpstreamClient } from '../datasources/http.ts';
import { BatchScheduler } from '../datasources/batch-scheduler.ts';
import { endpointFor, type Caller } from '../datasources/keystone.ts';
import { NovaSource } from '../datasources/nova.ts';
import { CinderSource } from '../datasources/cinder.ts';
import { GlanceSource } from '../datasources/glance.ts';
import { NeutronSource } from '../datasources/neutron.ts';
import { RegionControllerSource } from '../datasources/region-controller.ts';
import { createLoaders, type Loaders } from '../datasources/loaders.ts';
import { createMetricLoaders, type MetricLoaders } from '../datasources/metric-loaders.ts';

export interface RequestContext {
  requestId: string;
  services: Services;
  upstream: UpstreamClient;
  /** The caller, or null when the request carried no (valid) token. */
  callerOrNull: Caller | null;
  /** Why there is no caller, raised by `caller` and `loaders`. */
  authError: MosaicError | null;
  /** The caller; throws UNAUTHENTICATED when there is none. */
  readonly caller: Caller;
  readonly loaders: Loaders;
  readonly metrics: MetricLoaders;
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

export async function createContext(services: Services, headers: Record<string, string | string[] | undefined>, signal?: AbortSignal): Promise<RequestContext> {
  const scheduler = new BatchScheduler(services.config.batching.maxWaitMs);
  const upstream = new UpstreamClient(services.stack, scheduler, signal);
  const incomingId = headers['x-request-id'];
  const requestId = typeof incomingId === 'string' && /^[\w.-]{1,128}$/.test(incomingId) ? incomingId : randomUUID();
  const token = tokenFromHeaders(headers);
  let callerOrNull: Caller | null = null;
  let authError: MosaicError | null = token ? null : new MosaicError('MOSAIC_ERR_NO_TOKEN');
  if (token) {
    try {
      callerOrNull = await services.keystone.validate(upstream, token);
      upstream.shareScope = `caller:${callerOrNull.userId}|${callerOrNull.projectId}|${[...callerOrNull.roles].sort().join(',')}`;
    } catch (err) {
      authError = err instanceof MosaicError && err.code !== 'UNAUTHENTICATED' ? err : new MosaicError('MOSAIC_ERR_BAD_TOKEN');
    }
  }
  let loaders: Loaders | undefined;
  let metrics: MetricLoaders | undefined;
  const ctx: RequestContext = {
    requestId, services, upstream, callerOrNull, authError,
    get caller(): Caller {
      if (!callerOrNull) throw authError ?? new MosaicError('MOSAIC_ERR_NO_TOKEN');
      return callerOrNull;
    },
    get loaders(): Loaders {
      if (!loaders) {
        const caller = ctx.caller;
        const { config } = services;
        // Endpoints are resolved lazily: a missing catalog entry fails only the fields that need that service.
        const lazy = (service: 'nova' | 'cinder' | 'glance' | 'neutron') => {
          let url: string | undefined;
          return () => (url ??= endpointFor(caller, service, config.keystone.region, config.keystone.interface));
        };
        loaders = createLoaders({
          caller, config, scheduler, hints: services.hints, upstream, keystone: services.keystone,
          nova: new NovaSource(upstream, caller, lazy('nova')),
          cinder: new CinderSource(upstream, caller, lazy('cinder')),
          glance: new GlanceSource(upstream, caller, lazy('glance')),
          neutron: new NeutronSource(upstream, caller, lazy('neutron')),
          legacy: new RegionControllerSource(upstream, config.legacy.url, config.legacy.apiKey),
        });
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
