// The gateway under test, in its own process (forked by bench/run.ts with an IPC channel): Mosaic on Mercurius,
// Mosaic on Apollo Server, the naive baseline or the DataLoader baseline. It answers the parent's IPC questions —
// CPU time so far, RSS now and its peak since the last question, requests in flight, upstream response bytes so
// far (from core/diagnostics.ts `upstreamEnd`) — so the bench measures this process alone. Nothing here is added
// to the gateway itself.
//
// `share: false` (`npm run bench`'s default, `--no-share`) replaces the HTTP stack's in-flight GET sharing
// (datasources/http/coalesce.ts, used by UpstreamClient.get through `stack.inflight`) with a pass-through, so
// concurrent requests never share an upstream call; the per-request URL memo stays. The baselines never share.
//
// MOSAIC_BENCH_MAX_HEAVY=<n> sets server.maxHeavyInFlight (admission of heavy requests, server/limits/admission.ts)
// and MOSAIC_BENCH_HEAVY_COST=<n> server.heavyCost, to compare admission off (a huge n) with the defaults.
//
// With MOSAIC_BENCH_MEMLOG=<file> it appends process.memoryUsage() (rss, heapTotal, heapUsed, external,
// arrayBuffers, in MB) as a JSON line every 250 ms: where the memory goes under load, heap or buffers.
//
// The bench runs it compiled (bench/children.ts compileGateways: .data/bench-dist/bench/gateway-process.js) or,
// with `--tsx`, through tsx.
//
//   fork('bench/gateway-process.ts', [JSON.stringify({variant, keystoneUrl, legacyUrl, legacyApiKey, fleetCacheTtlMs, share})])
import { validateConfig } from '../core/config.ts';
import { createServices } from '../server/services.ts';
import { buildGateway } from '../server/app.ts';
import { buildNaiveGateway } from './naive-gateway.ts';
import { buildDataloaderGateway } from './dataloader-gateway.ts';
import { appendFileSync } from 'node:fs';
import { MongoClient } from 'mongodb';
import { createMeteringStore, type UpstreamResponse } from '../datasources/index.ts';
import { InflightGets } from '../datasources/http/coalesce.ts';
import { channels, type UpstreamCallMessage } from '../core/diagnostics.ts';
import type { Variant } from './variants.ts';

export type { Variant } from './variants.ts';

/** In-flight sharing turned off: every GET is its own upstream call. */
class NoSharing<V> extends InflightGets<V> {
  override share(_key: string, fetch: () => Promise<V>): Promise<V> {
    return fetch();
  }
  override has(): boolean {
    return false;
  }
}

export interface GatewayChildOptions {
  variant: Variant;
  keystoneUrl: string;
  legacyUrl: string;
  legacyApiKey: string;
  /** The cloud's Keystone service account, for revocation events; without it cached tokens are re-validated every 4.5 s. */
  keystoneServiceUser?: string;
  keystoneServicePassword?: string;
  fleetCacheTtlMs: number;
  /**
   * Share identical in-flight upstream GETs across requests, as production does (the default here, which the attack
   * and soak modes keep); `npm run bench` passes false unless `--share`.
   */
  share?: boolean;
  /**
   * What the gateway observes (`npm run bench -- --observability …`): `default` as below; `off` no logs, no
   * metrics, no traces; `full` traces too, exported to `tracesUrl` (the parent's sink), to price them.
   */
  observability?: 'default' | 'off' | 'full';
  tracesUrl?: string;
  mongoUri?: string | null;
  mongoDatabase?: string;
  /** GraphQL subgraphs to federate (`npm run bench:federation`: the billing subgraph); none by default. */
  subgraphs?: { name: string; url: string; secret: string; timeoutMs?: number }[];
}

/** Parent → child. */
export type ParentMessage = { type: 'sample'; id: number; resetPeak: boolean };
/** Child → parent. */
export type ChildMessage =
  | { type: 'ready'; url: string }
  | {
      type: 'sample';
      id: number;
      cpuUserUs: number;
      cpuSystemUs: number;
      rss: number;
      peakRss: number;
      inFlight: number;
      requests: number;
      /** Upstream response body bytes since start, background revocation-event polls left out. */
      upstreamBytes: number;
    }
  | { type: 'error'; message: string };

const send = (m: ChildMessage) => process.send?.(m);
/** The `federation-library` variant's builder (bench/federation-library.ts). */
const LIBRARY_GATEWAY = ['.', 'federation-library.ts'].join('/');

async function main() {
  const options = JSON.parse(process.argv[2] ?? '{}') as GatewayChildOptions;
  const config = validateConfig({
    // The baselines make a call per key by design: no per-request call budget for them.
    server: {
      port: 0,
      runtime: options.variant === 'mosaic-apollo' || options.variant === 'dataloader' ? 'apollo' : 'mercurius',
      graphiql: false,
      ...(options.variant === 'naive' || options.variant === 'dataloader' ? { maxUpstreamCalls: 1_000_000 } : {}),
      ...(process.env.MOSAIC_BENCH_MAX_HEAVY ? { maxHeavyInFlight: Number(process.env.MOSAIC_BENCH_MAX_HEAVY) } : {}),
      ...(process.env.MOSAIC_BENCH_HEAVY_COST ? { heavyCost: Number(process.env.MOSAIC_BENCH_HEAVY_COST) } : {}),
    },
    // The baselines have no circuit breakers (Mosaic's are in the HTTP stack they borrow): a breaker one wide
    // baseline query opened would also fail the next workloads' calls.
    ...(options.variant === 'naive' || options.variant === 'dataloader' ? { breaker: { enabled: false } } : {}),
    ...(options.subgraphs ? { subgraphs: options.subgraphs } : {}),
    keystone: { url: options.keystoneUrl, serviceUser: options.keystoneServiceUser ?? '', servicePassword: options.keystoneServicePassword ?? '' },
    legacy: { url: options.legacyUrl, apiKey: options.legacyApiKey },
    fleet: { cacheTtlMs: options.fleetCacheTtlMs },
    // One load generator with one token per workload sends thousands of requests a minute: a per-caller limit
    // would measure the limiter, not the gateway.
    rateLimit: { max: 0 },
    // Production defaults for what runs per request — /metrics on, tracing as the environment says (`auto`: set
    // OTEL_EXPORTER_OTLP_ENDPOINT to measure it) — but warn-level logs: two info lines per request would measure
    // stdout and fill the bench's terminal, while a warning (a breaker opening) should still show.
    observability:
      options.observability === 'off'
        ? { logLevel: 'silent', metrics: false, tracing: 'off' }
        : options.observability === 'full'
          ? { logLevel: 'warn', tracing: 'on' }
          : { logLevel: 'warn' },
  });
  let metering = null;
  if (options.mongoUri) {
    const client = new MongoClient(options.mongoUri);
    await client.connect();
    metering = createMeteringStore(client.db(options.mongoDatabase), { client });
  }
  const services = createServices(config, metering);
  if (options.share === false) services.stack.inflight = new NoSharing<UpstreamResponse>();
  const app =
    options.variant === 'naive'
      ? await buildNaiveGateway(services)
      : options.variant === 'dataloader'
        ? await buildDataloaderGateway(services)
        : options.variant === 'federation-library'
          ? // Through tsx only (bench:federation never compiles its gateways): a computed specifier keeps the
            // library baseline out of the compiled build (bench/children.ts compileGateways).
            await (
              (await import(LIBRARY_GATEWAY)) as { buildLibraryGateway: (s: typeof services) => ReturnType<typeof buildGateway> }
            ).buildLibraryGateway(services)
          : await buildGateway(services, { runtime: config.server.runtime, tracesUrl: options.tracesUrl });

  // Upstream bytes: every call's response body size, as the HTTP client publishes it (core/diagnostics.ts).
  let upstreamBytes = 0;
  channels.upstreamEnd.subscribe((message) => {
    const call = message as UpstreamCallMessage;
    if (!call.route.includes('/OS-REVOKE/')) upstreamBytes += call.bytes ?? 0;
  });

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
  const memlog = process.env.MOSAIC_BENCH_MEMLOG;
  const memTimer = memlog
    ? setInterval(() => {
        const m = process.memoryUsage();
        const mb = (n: number) => Math.round(n / 2 ** 20);
        appendFileSync(
          memlog,
          `${JSON.stringify({ t: Date.now(), pid: process.pid, variant: options.variant, rss: mb(m.rss), heapTotal: mb(m.heapTotal), heapUsed: mb(m.heapUsed), external: mb(m.external), arrayBuffers: mb(m.arrayBuffers), inFlight })}\n`,
        );
      }, 250)
    : undefined;
  process.on('message', (m: ParentMessage) => {
    if (m?.type !== 'sample') return;
    const rss = process.memoryUsage.rss();
    const cpu = process.cpuUsage();
    send({
      type: 'sample',
      id: m.id,
      cpuUserUs: cpu.user,
      cpuSystemUs: cpu.system,
      rss,
      peakRss: Math.max(peakRss, rss),
      inFlight,
      requests,
      upstreamBytes,
    });
    if (m.resetPeak) peakRss = rss;
  });
  const shutdown = async () => {
    clearInterval(timer);
    if (memTimer) clearInterval(memTimer);
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
