// /readyz: are the upstreams reachable? Keystone (its version document needs no token), the legacy region
// controller (a cheap authenticated read, which also proves the API key), and MongoDB when configured.
// Catalog services (Nova, Cinder…) are discovered per token, so they are checked by the requests themselves.
import type { Services } from './services.ts';

export interface Readiness {
  ready: boolean;
  checks: Record<string, { ok: boolean; detail?: string }>;
}

export async function readiness(services: Services): Promise<Readiness> {
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
  return { ready: Object.values(checks).every((c) => c.ok), checks };
}
