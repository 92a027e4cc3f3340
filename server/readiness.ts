// /readyz: are the upstreams reachable? Keystone (its version document needs no token), the legacy region
// controller (a cheap authenticated read, which also proves the API key), and MongoDB when configured.
// Catalog services (Nova, Cinder…) are discovered per token, so they are checked by the requests themselves.
// From the first SIGTERM/SIGINT on (server/serve.ts) a draining gateway is not ready, whatever its upstreams say,
// so load balancers stop sending while in-flight requests finish.
import type { Services } from './services.ts';
import { UPSTREAMS } from '../core/services.ts';

export interface Readiness {
  ready: boolean;
  checks: Record<string, { ok: boolean; detail?: string }>;
  /**
   * What an operator wants to see but must not take replicas out of the load balancer: circuit breakers (an open
   * one on every replica would otherwise empty the pool, though other fields still answer) and the shared store
   * (Redis down means cache misses, not failed requests).
   */
  info?: { breakers: Record<string, string>; store: { kind: string; ok: boolean }; revocations?: unknown };
}

/** Keyed by the services of one gateway, so a test process holding several gateways drains only the one stopped. */
const draining = new WeakSet<Services>();

/** Marks the gateway as shutting down: /readyz answers 503 from now on. */
export function markDraining(services: Services): void {
  draining.add(services);
}

export async function readiness(services: Services): Promise<Readiness> {
  if (draining.has(services)) return { ready: false, checks: { draining: { ok: false, detail: 'shutting down' } } };
  const { config, stack } = services;
  const timeout = { request: 2_000 };
  const probe = async (fn: () => Promise<string | null>) => {
    try {
      const problem = await fn();
      return problem ? { ok: false, detail: problem } : { ok: true };
    } catch (err) {
      return { ok: false, detail: (err as { code?: string }).code ?? 'unreachable' };
    }
  };
  const checks: Readiness['checks'] = {};
  const [keystone, legacy, mongodb] = await Promise.all([
    probe(async () => {
      const res = await stack.got(config.keystone.url, { timeout, retry: { limit: 0 } });
      return res.statusCode < 500 ? null : `HTTP ${res.statusCode}`;
    }),
    probe(async () => {
      const res = await stack.got(`${config.legacy.url}/zones`, { headers: { 'x-api-key': config.legacy.apiKey }, timeout, retry: { limit: 0 } });
      if (res.statusCode !== 200) return `HTTP ${res.statusCode}`;
      const body = JSON.parse(res.body as string);
      return body.ret === 0 ? null : `ret ${body.ret}`;
    }),
    services.metering ? probe(async () => ((await services.metering!.ping()) ? null : 'ping failed')) : Promise.resolve(undefined),
  ]);
  checks.keystone = keystone;
  checks.legacy = legacy;
  if (mongodb) checks.mongodb = mongodb;
  const storeOk = await services.store.get('readyz').then(
    () => true,
    () => false,
  );
  return {
    ready: Object.values(checks).every((c) => c.ok),
    checks,
    info: {
      breakers: Object.fromEntries(UPSTREAMS.map((name) => [name, stack.breakers.state(name)])),
      store: { kind: services.store.kind, ok: storeOk },
      // Revocation events: while they are stale, cached tokens are trusted for 4.5 s at most (keystone/token-cache.ts).
      ...(services.keystone.revocations ? { revocations: services.keystone.revocations.status() } : {}),
    },
  };
}
