// `npm run bench -- --size small [--latency 5] [--duration 5] [--quick] [--only fleet-tree,dashboard] [--share]`
// The benchmark (DESIGN.md "Performance method"): the emulated cloud in one child process with a fixed upstream
// latency, each gateway variant in another, load from this process. Per workload × variant it reports upstream
// calls and response bytes of one query against the floor, latency at concurrency 1 against the critical-path
// floor, requests/s at fixed concurrency, gateway CPU per request, peak RSS and the share of responses with errors.
// Cross-request sharing of in-flight GETs is off unless `--share` (bench/gateway-process.ts).
// Gateways run compiled, as deployed (bench/children.ts compileGateways), unless `--tsx`.
// Writes bench/results/<date>-<size>[-quick].json, prints the markdown tables, and on a full `small` or
// `medium` run refreshes the tables in bench/README.md.
import http from 'node:http';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { issueToken } from './keystone-token.ts';
import { buildCloud, DEMO_SERVICE_USER } from '../subgraphs/seed/build-cloud.ts';
import type { CloudSize } from '../subgraphs/seed/types.ts';
import { loadWorkloads, type CallerName } from './workloads.ts';
import { computeFloors } from './floors.ts';
import { compileGateways, IMAGE_ENV, startCloudChild, startGatewayChild } from './children.ts';
import { deployedMemoryMb, memoryCgroups } from './memory-cgroup.ts';
import { VARIANTS, type Variant } from './variants.ts';
import { countCalls, loadRun, postGraphql, upstreamRoundTrip, waitIdle, type CallCount, type GraphqlRequest, type LoadResult } from './measure.ts';
import { codeVersion, machine, markdown, updateReadme, writeRecord, type BenchRecord, type Cell } from './report.ts';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: 'small' },
    latency: { type: 'string', default: '5' },
    duration: { type: 'string' },
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    variants: { type: 'string', default: VARIANTS.join(',') },
    'fleet-cache-ms': { type: 'string', default: '0' },
    'same-token': { type: 'boolean', default: false },
    // Cross-request sharing of identical in-flight GETs (Mosaic's production behaviour) is off by default: most
    // production traffic is not 64 copies of one query. `--share` turns it back on; `--no-share` is the default.
    share: { type: 'boolean', default: false },
    'no-share': { type: 'boolean', default: false },
    // default: production logs at warn and /metrics; off: nothing observed; full: OpenTelemetry traces too, exported
    // to a sink in this process — to price what observing costs (CPU ms/req between runs).
    observability: { type: 'string', default: 'default' },
    // Gateways run compiled (deploy/build.mjs --with-bench), as deployed; `--tsx` runs their TypeScript through tsx.
    tsx: { type: 'boolean', default: false },
    // Each gateway in a memory cgroup of this size, as deploy/k8s/deployment.yaml limits a replica (bench/memory-cgroup.ts);
    // 0: no limit. Default 512 (the manifest's), none at `large`, whose lists outgrow it.
    'memory-mb': { type: 'string' },
  },
});
const SIZES: CloudSize[] = ['tiny', 'small', 'medium', 'large'];
const observability = values.observability as 'default' | 'off' | 'full';
if (!['default', 'off', 'full'].includes(observability)) throw new Error(`--observability must be default, off or full (got ${observability})`);
/** For `--observability full`: an OTLP/HTTP receiver that accepts and drops every export. */
const traceSink =
  observability === 'full'
    ? await new Promise<string>((resolve) => {
        const sink = http.createServer((req, res) => {
          req.resume();
          req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
        });
        sink.unref();
        sink.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(sink.address() as { port: number }).port}/v1/traces`));
      })
    : undefined;
const size = values.size as CloudSize;
if (!SIZES.includes(size)) throw new Error(`--size must be one of ${SIZES.join(', ')}`);
const share = values.share && !values['no-share'];
// `large` (10,000 instances, ~20,000 volumes): the emulators' pages and the gateways' lists outgrow Node's
// default heap, and one wide query takes tens of seconds for the baselines.
const large = size === 'large';
/** Heap of the cloud and gateway children, MB (null: Node's default). */
const heapMb = large ? 8192 : null;
const memoryMb = Number(values['memory-mb'] ?? (large ? 0 : deployedMemoryMb()));
if (!Number.isFinite(memoryMb) || memoryMb < 0) throw new Error('--memory-mb must be a number of MiB (0: no limit)');
/** A single query (warm-up, counted query) gives up after this. */
const queryTimeoutMs = large ? 180_000 : 60_000;
const latencyMs = Number(values.latency);
const quick = values.quick;
const started = Date.now();
// Medium runs 4 s per measurement by default to keep a full run near 10 minutes on two cores. At large one
// fleet-tree query takes seconds even for Mosaic, so a run lasts 10 s (5 with --quick) to finish a few.
const durationS = Number(values.duration ?? (large ? (quick ? 5 : 10) : quick ? 1.5 : size === 'medium' ? 4 : 5));
// --quick drops concurrency 64 to stay under two minutes at `small`; the output says so.
const concurrency = quick ? [1, 16] : [1, 16, 64];
const variants = values.variants.split(',') as Variant[];
for (const v of variants) if (!VARIANTS.includes(v)) throw new Error(`unknown variant "${v}" (${VARIANTS.join(', ')})`);
const fleetCacheTtlMs = Number(values['fleet-cache-ms']);
const log = (msg: string) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${msg}\n`);

/** Distinct errors of a response, "MOSAIC_ERR_X at a.*.b", list indexes folded. */
function errorSummary(body: CallCount['body']): string[] {
  const out = new Set<string>();
  for (const e of body.errors ?? []) {
    const code = e.extensions?.mosaicCode ?? e.extensions?.code ?? e.message.slice(0, 60);
    out.add(`${code} at ${(e.path ?? []).map((p) => (typeof p === 'number' || /^\d+$/.test(p) ? '*' : p)).join('.') || '(request)'}`);
  }
  return [...out];
}

/**
 * Fields whose values come from the metering windows, which the cloud process rewrites as minutes pass (its feed,
 * subgraphs/metering/feeder.ts): variants measured minutes apart read different figures for the same resource.
 */
const METRIC_FIELDS = new Set(['metrics', 'cpuUtilAvg']);

/**
 * JSON with object keys sorted and arrays compared as multisets, to check variants return the same data. With
 * `maskMetrics`, metric fields keep their shape (null, or which figures are numbers) but not their values.
 */
function canonical(value: unknown, maskMetrics = false): string {
  if (Array.isArray(value))
    return `[${value
      .map((v) => canonical(v, maskMetrics))
      .sort()
      .join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => {
        const v = (value as Record<string, unknown>)[k];
        return `${JSON.stringify(k)}:${maskMetrics && METRIC_FIELDS.has(k) ? shapeOf(v) : canonical(v, maskMetrics)}`;
      })
      .join(',')}}`;
  }
  return JSON.stringify(value);
}
const shapeOf = (v: unknown): string =>
  v && typeof v === 'object'
    ? `{${Object.keys(v)
        .sort()
        .map((k) => `${k}:${typeof (v as Record<string, unknown>)[k]}`)}}`
    : typeof v;

const code = codeVersion();
const sessionCount = values['same-token'] ? 1 : Math.max(...concurrency);
const model = buildCloud({ size });
log(
  `bench: size ${size} (${model.servers.length} instances, ${model.hosts.length} hosts), latency ${latencyMs} ms, ${durationS} s per run, concurrency ${concurrency.join('/')}${quick ? ' (quick)' : ''}, in-flight sharing ${share ? 'on' : 'off'}`,
);
const compiled = values.tsx ? null : compileGateways();
const cgroups = memoryMb > 0 ? memoryCgroups(memoryMb, fileURLToPath(new URL('../.data/bench-cgroup', import.meta.url))) : null;
const cloud = await startCloudChild(size, latencyMs, heapMb);
log(
  cloud.info.mongoUri
    ? `metering: ${cloud.info.mongoUri} (60-minute windows, refreshed every minute)`
    : `metering: off (${cloud.info.mongoUnavailable})`,
);
const cells: Cell[] = [];
const gateways: BenchRecord['gateways'] = [];
let roundTripMs = Number.NaN;
/** The first variant's data per workload, exact and with metric values masked. */
const reference = new Map<string, { exact: string; masked: string }>();
try {
  // One token per load connection and caller (--same-token: one for all), so concurrent requests are distinct
  // client sessions. Mosaic coalesces identical in-flight upstream GETs per user, project and roles, so these
  // sessions of one user do share upstream answers under load: the c16/c64 figures include that.
  const issue = async (user: string, project: string) => {
    const list: string[] = [];
    for (let i = 0; i < sessionCount; i++) list.push(await issueToken(cloud.info.keystoneUrl, user, project));
    return list;
  };
  const tokens: Record<CallerName, string[]> = { admin: await issue('admin', 'admin'), alice: await issue('alice', 'web') };
  const workloads = loadWorkloads(model, values.only?.split(','));
  const floors = computeFloors(model, workloads, cloud.info.urls.glance);
  roundTripMs = await upstreamRoundTrip(cloud.info);
  log(`upstream round trip (median of 40 GET /zones from this process): ${roundTripMs.toFixed(2)} ms`);
  const request = (w: (typeof workloads)[number]): GraphqlRequest => ({
    query: w.query,
    variables: w.variables,
    token: tokens[w.caller][0],
    sessions: tokens[w.caller],
    timeoutMs: queryTimeoutMs,
  });

  for (const variant of variants) {
    const launch = async () => {
      const g = await startGatewayChild(
        {
          variant,
          share,
          observability,
          tracesUrl: traceSink,
          keystoneUrl: cloud.info.keystoneUrl,
          legacyUrl: cloud.info.legacyUrl,
          legacyApiKey: cloud.info.legacyApiKey,
          // Production runs with a service account reading revocation events; without one, tokens are re-validated
          // every 4.5 s, which is not what users run.
          keystoneServiceUser: DEMO_SERVICE_USER.name,
          keystoneServicePassword: DEMO_SERVICE_USER.password,
          fleetCacheTtlMs,
          mongoUri: cloud.info.mongoUri,
          mongoDatabase: cloud.info.mongoDatabase,
        },
        { heapMb, compiled, execPath: cgroups?.execPath },
      );
      // Token validation is cached by the gateway: validate every token before anything is counted.
      for (const t of Object.values(tokens).flat()) await postGraphql(g.url, { query: '{ viewer { userId } }', variables: {}, token: t });
      return g;
    };
    let gateway = await launch();
    log(`${variant}: gateway pid ${gateway.pid} at ${gateway.url}`);
    const startRss = (await gateway.sample()).rss;
    try {
      // Warm-up: JIT, size hints the loaders learn, keep-alive sockets — up to 3 queries or 5 s per workload
      // (--quick: 2 queries or 1 s).
      for (const w of workloads) {
        const until = Date.now() + (quick ? 1000 : 5000);
        for (let i = 0; i < (quick ? 2 : 3) && Date.now() < until; i++) await postGraphql(gateway.url, request(w));
      }
      gateways.push({ variant, pid: gateway.pid, startRssMb: startRss / 2 ** 20, warmRssMb: (await gateway.sample()).rss / 2 ** 20 });
      const counted = new Map<string, CallCount>();
      for (const w of workloads) counted.set(w.name, await countCalls(cloud.info, gateway, request(w)));
      await waitIdle(gateway);
      for (const w of workloads) {
        const count = counted.get(w.name)!;
        const loads: LoadResult[] = [];
        let failure: string | undefined;
        for (const c of concurrency) {
          // A query that no run at a lower concurrency finished within the duration will not finish at a
          // higher one either: skip it (saves minutes at medium; shown as "skip").
          if (loads.length > 0 && loads[loads.length - 1].responses === 0) {
            loads.push({
              connections: c,
              durationS,
              responses: 0,
              requestsPerSec: 0,
              latencyMs: null,
              errorResponses: 0,
              timeouts: 0,
              cpuMsPerRequest: null,
              peakRssBytes: 0,
              skipped: true,
            });
            log(`  ${w.name} c${c}: skipped (no response at c${loads[loads.length - 2].connections})`);
            continue;
          }
          try {
            const l = await loadRun(gateway, request(w), c, durationS);
            loads.push(l);
            log(
              `  ${w.name} c${c}: ${l.responses} responses, ${l.requestsPerSec.toFixed(1)} req/s, p50 ${l.latencyMs?.p50 ?? '—'} ms, ${l.errorResponses} with errors`,
            );
          } catch (err) {
            // The gateway died or hung under this load (e.g. out of memory): say so, start a fresh one, go on.
            failure = `c${c}: ${(err as Error).message}`;
            log(`  ${w.name} ${failure}; restarting the gateway`);
            await gateway.stop();
            gateway = await launch();
            for (const other of workloads) await postGraphql(gateway.url, request(other));
            await waitIdle(gateway);
            break;
          }
        }
        const data = { exact: canonical(count.body.data ?? null), masked: canonical(count.body.data ?? null, true) };
        if (!reference.has(w.name)) reference.set(w.name, data);
        const ref = reference.get(w.name)!;
        const { body: _body, ...calls } = count;
        cells.push({
          workload: w.name,
          variant,
          caller: w.caller,
          floor: floors[w.name],
          calls,
          responseErrors: errorSummary(count.body),
          sameDataAsMosaic: variant === variants[0] ? null : ref.masked === data.masked,
          ...(variant !== variants[0] && ref.masked === data.masked && ref.exact !== data.exact ? { metricValuesDiffer: true } : {}),
          loads,
          failure,
        });
        log(
          `  ${w.name}: ${calls.total} calls (floor ${floors[w.name].total}), ${(calls.upstreamBytes / 1024).toFixed(0)} KB upstream, in ${calls.elapsedMs.toFixed(0)} ms`,
        );
      }
    } finally {
      await gateway.stop();
    }
  }
} finally {
  await cloud.stop();
  cgroups?.cleanUp();
}

const notes = [
  `Calls: one query after a warm-up, counted by the emulators (POST /_emulator/reset, then GET /_emulator/stats); the gateway's token cache is warm, so Keystone token validation costs 0.`,
  `Latency: autocannon at concurrency 1 for ${durationS} s (min/p50/p99); requests/s at concurrency ${concurrency.filter((c) => c > 1).join(' and ')}; CPU ms/req is the gateway process's user+system CPU from the start of the c${concurrency[1]} run until it is idle again, divided by the requests it received; peak RSS is sampled every 100 ms over all runs of the workload.`,
  `Errors: share of load-run responses whose body has "errors" (plus non-2xx, socket errors and timeouts). Metrics come from the metering database the cloud process starts (MONGODB_URI or a local FerretDB): it writes the 60-minute windows the workloads read and refreshes them every minute.`,
  `The dashboard's result cache (fleet.cacheTtlMs, 10 s by default) is set to ${fleetCacheTtlMs} ms here${fleetCacheTtlMs === 0 ? ' so every dashboard request composes its figures, as the naive baseline does' : ''}.`,
];
notes.push(
  `Same data: the counted query's \`data\` against ${variants[0]}'s, object keys sorted and lists compared as multisets. Metric figures (\`metrics\`, \`cpuUtilAvg\`) are compared by shape only (null or which figures are numbers): the cloud's metering feed rewrites the windows as minutes pass, so variants measured minutes apart read different values; "yes (metric values aside)" says they differed.`,
);
notes.push(
  `Upstream bytes: response bodies the gateway received for the one counted query (its HTTP client's own count, core/diagnostics.ts upstreamEnd), in KB.`,
);
notes.push(
  `Load: ${values['same-token'] ? 'every connection sends with the same token (--same-token)' : `each connection is its own client session (its own token of the same user, ${sessionCount} per caller)`}. ` +
    (share
      ? "In-flight sharing on (--share): Mosaic coalesces identical in-flight upstream GETs per user, project and roles, so concurrent requests share them — c16/c64 include that, as they would for one user's open consoles."
      : "In-flight sharing off (the default, --no-share): Mosaic's cross-request coalescing of identical in-flight GETs is replaced by a pass-through in every variant (the per-request URL memo stays), since most production traffic is not 64 copies of one query; --share turns it back on. The naive and dataloader baselines never share."),
);
notes.push(
  cgroups
    ? `Memory: each gateway ran in a ${cgroups.describe}, the replica limit of deploy/k8s/deployment.yaml, with the image's NODE_OPTIONS (${IMAGE_ENV.NODE_OPTIONS}); Node sizes V8's heap from that limit, so peak RSS and CPU ms/req are a deployed replica's.`
    : "Memory: the gateways ran without a memory limit (--memory-mb 0): V8 sized its heap from the machine's memory, so it collected garbage late and peak RSS is higher than a deployed replica's.",
);
notes.push('req/s "0.0": no query finished within the run; "skip": not run because the run at the lower concurrency finished none.');
if (quick) notes.push(`--quick: ${durationS} s runs and concurrency ${concurrency.join(' and ')} only (no c64).`);
const date = new Date().toISOString().slice(0, 10);
const partial = Boolean(values.only) || variants.join(',') !== VARIANTS.join(',');
const record: BenchRecord = {
  date,
  size,
  latencyMs,
  roundTripMs,
  gateways,
  quick,
  partial,
  durationS,
  concurrency,
  fleetCacheTtlMs,
  share,
  machine: machine(),
  code,
  notes,
  cells,
};
const file = writeRecord(record);
const table = markdown(record);
process.stdout.write(`\n${table}\n\n`);
log(`wrote ${file} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
if (!quick && !partial && (size === 'small' || size === 'medium')) {
  if (updateReadme(record, table)) log(`updated bench/README.md (${size})`);
}
