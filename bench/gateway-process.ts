// The gateway under test, in its own process (forked by bench/run.ts with an IPC channel): Mosaic on Mercurius,
// Mosaic on Apollo Server, or the naive baseline. It answers the parent's IPC questions — CPU time so far, RSS
// now and its peak since the last question, requests in flight — so the bench measures this process alone.
// Nothing here is added to the gateway itself.
//
//   fork('bench/gateway-process.ts', [JSON.stringify({variant, keystoneUrl, legacyUrl, legacyApiKey, fleetCacheTtlMs})])
import { validateConfig } from '../core/config.ts';
import { createServices } from '../server/services.ts';
import { buildGateway } from '../server/app.ts';
import { buildNaiveGateway } from './naive-gateway.ts';
import { MongoClient } from 'mongodb';
import { createMeteringStore } from '../datasources/index.ts';

export type Variant = 'mosaic-mercurius' | 'mosaic-apollo' | 'naive';

export interface GatewayChildOptions {
  variant: Variant;
  keystoneUrl: string;
  legacyUrl: string;
  legacyApiKey: string;
  /** The cloud's Keystone service account, for revocation events; without it cached tokens are re-validated every 4.5 s. */
  keystoneServiceUser?: string;
  keystoneServicePassword?: string;
  fleetCacheTtlMs: number;
  mongoUri?: string | null;
  mongoDatabase?: string;
}

/** Parent → child. */
export type ParentMessage = { type: 'sample'; id: number; resetPeak: boolean };
/** Child → parent. */
export type ChildMessage =
  | { type: 'ready'; url: string }
  | { type: 'sample'; id: number; cpuUserUs: number; cpuSystemUs: number; rss: number; peakRss: number; inFlight: number; requests: number }
  | { type: 'error'; message: string };

const send = (m: ChildMessage) => process.send?.(m);

async function main() {
  const options = JSON.parse(process.argv[2] ?? '{}') as GatewayChildOptions;
  const config = validateConfig({
    // The naive baseline makes a call per key by design: no per-request call budget for it.
    server: {
      port: 0,
      runtime: options.variant === 'mosaic-apollo' ? 'apollo' : 'mercurius',
      graphiql: false,
      ...(options.variant === 'naive' ? { maxUpstreamCalls: 1_000_000 } : {}),
    },
    keystone: { url: options.keystoneUrl, serviceUser: options.keystoneServiceUser ?? '', servicePassword: options.keystoneServicePassword ?? '' },
    legacy: { url: options.legacyUrl, apiKey: options.legacyApiKey },
    fleet: { cacheTtlMs: options.fleetCacheTtlMs },
    // One load generator with one token per workload sends thousands of requests a minute: a per-caller limit
    // would measure the limiter, not the gateway.
    rateLimit: { max: 0 },
    // Production defaults for what runs per request — /metrics on, tracing as the environment says (`auto`: set
    // OTEL_EXPORTER_OTLP_ENDPOINT to measure it) — but warn-level logs: two info lines per request would measure
    // stdout and fill the bench's terminal, while a warning (a breaker opening) should still show.
    observability: { logLevel: 'warn' },
  });
  let metering = null;
  if (options.mongoUri) {
    const client = new MongoClient(options.mongoUri);
    await client.connect();
    metering = createMeteringStore(client.db(options.mongoDatabase), { client });
  }
  const services = createServices(config, metering);
  const app = options.variant === 'naive' ? await buildNaiveGateway(services) : await buildGateway(services, { runtime: config.server.runtime });

  // Requests received and in flight: CPU per request divides by the first; the parent waits on the second.
  let inFlight = 0;
  let requests = 0;
  app.server.on('request', (_req, res) => {
    inFlight++;
    requests++;
    res.once('close', () => inFlight--);
  });
  // RSS sampled every 100 ms (process.memoryUsage.rss() is cheap: one syscall); the peak resets when the
  // parent says so.
  let peakRss = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 100);
  process.on('message', (m: ParentMessage) => {
    if (m?.type !== 'sample') return;
    const rss = process.memoryUsage.rss();
    const cpu = process.cpuUsage();
    send({ type: 'sample', id: m.id, cpuUserUs: cpu.user, cpuSystemUs: cpu.system, rss, peakRss: Math.max(peakRss, rss), inFlight, requests });
    if (m.resetPeak) peakRss = rss;
  });
  const shutdown = async () => {
    clearInterval(timer);
    await app.close().catch(() => undefined);
    await services.close().catch(() => undefined);
    process.exit(0);
  };
  process.on('disconnect', shutdown);
  process.on('SIGTERM', shutdown);

  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  send({ type: 'ready', url: `${address}/graphql` });
}

main().catch((err: Error) => {
  send({ type: 'error', message: err.stack ?? err.message });
  process.exit(1);
});
