// `npm run bench:soak -- [--runtime mercurius] [--rate 50] [--minutes 10] [--flap nova] [--flap-period-s 20]`
// Issue #13's soak, as a bench mode: the emulated cloud and one gateway with production defaults, the bench's
// workloads (bench/workloads.ts, each with its caller's tokens) sent open-loop at a fixed rate — request i is
// due at start + i/rate whatever the earlier ones are doing, and its latency counts from that due time, so a
// stall shows as the queue it builds instead of hiding behind a closed loop (coordinated omission) — while one
// upstream flaps through the emulator's fault injection (/_emulator/faults, subgraphs/emulator/emulator-server.ts):
// up for the first half of every period, down for the second. Per interval (a minute by default): requests,
// 5xx, requests never answered, error responses by code, latency p50/p99/max, gateway CPU and RSS (the gateway
// child's own figures, over IPC). Targets: 0 5xx (and every request answered), p99 ≤ the flapping upstream's
// timeout (upstreams.<service>.timeoutMs), RSS drift < 10 % between the second interval and the last.
// Writes bench/results/<date>-soak.json and prints the tables. A report: exits 0 whatever they say.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildCloud, DEMO_SERVICE_USER } from '../subgraphs/seed/build-cloud.ts';
import { SERVICE_NAMES, type ServiceName } from '../subgraphs/demo-cloud.ts';
import type { CloudSize } from '../subgraphs/seed/types.ts';
import { validateConfig } from '../core/config.ts';
import { startCloudChild, startGatewayChild, type GatewayChild, type Sample } from './children.ts';
import { loadWorkloads, type CallerName } from './workloads.ts';
import { postGraphql } from './measure.ts';
import { BENCH_DIR, codeVersion, machine } from './report.ts';
import { issueToken } from './keystone-token.ts';
import { percentile } from './percentile.ts';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: 'small' },
    latency: { type: 'string', default: '5' },
    runtime: { type: 'string', default: 'mercurius' },
    rate: { type: 'string', default: '50' },
    minutes: { type: 'string', default: '10' },
    workloads: { type: 'string' },
    flap: { type: 'string', default: 'nova' },
    'flap-period-s': { type: 'string', default: '20' },
    'flap-mode': { type: 'string', default: 'down' },
    'interval-s': { type: 'string', default: '60' },
    sessions: { type: 'string', default: '4' },
    'timeout-s': { type: 'string', default: '30' },
  },
});
const size = values.size as CloudSize;
const latencyMs = Number(values.latency);
const runtime = values.runtime === 'apollo' ? 'apollo' : 'mercurius';
const rate = Number(values.rate);
const durationMs = Number(values.minutes) * 60_000;
const flap = values.flap === 'none' ? null : (values.flap as ServiceName);
const flapPeriodMs = Number(values['flap-period-s']) * 1000;
const flapMode = values['flap-mode'] as 'down' | 'error' | 'slow';
const intervalMs = Number(values['interval-s']) * 1000;
const sessions = Number(values.sessions);
const clientTimeoutMs = Number(values['timeout-s']) * 1000;
if (flap && !SERVICE_NAMES.includes(flap)) throw new Error(`--flap must be one of ${SERVICE_NAMES.join(', ')} or none`);
if (!['down', 'error', 'slow'].includes(flapMode)) throw new Error('--flap-mode must be down, error or slow');
if (!(rate > 0) || !(durationMs > 0)) throw new Error('--rate and --minutes must be positive');

const started = Date.now();
const log = (msg: string) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${msg}\n`);
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// The gateway child runs on the config defaults (bench/gateway-process.ts: rateLimit.max 0 aside); so do the targets.
const defaults = validateConfig({});
const upstreamTimeoutMs =
  flap && flap in defaults.upstreams ? defaults.upstreams[flap as keyof typeof defaults.upstreams].timeoutMs : defaults.upstreams.nova.timeoutMs;
/** What "down" means on the emulator: connections reset, its own 500s, or answers slower than the gateway waits. */
const FAULTS = {
  down: { down: true },
  error: { errorRate: 1 },
  slow: { slowMs: upstreamTimeoutMs + 1000 },
}[flapMode];
const UP = { down: false, errorRate: 0, slowMs: 0 };

interface Outcome {
  /** When it was due (epoch ms) and when its answer had arrived in full. */
  due: number;
  end: number;
  workload: string;
  /** 0: no answer (connection error, or none within --timeout-s). */
  status: number;
  /** Distinct error codes of the answer (mosaicCode, else code). */
  codes: string[];
}

interface Interval {
  index: number;
  /** Seconds from the start. */
  fromS: number;
  requests: number;
  fiveXx: number;
  noAnswer: number;
  /** Answers under 500 whose body had errors (or a 4xx status). */
  errorResponses: number;
  /** code → answers (non-5xx) carrying it. */
  codes: Record<string, number>;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  /** Gateway CPU over the interval, % of one core. */
  cpuPercent: number | null;
  rssMeanMb: number | null;
  rssMaxMb: number | null;
  /** Share of the interval the flapping upstream was down. */
  downShare: number;
}

function codesOf(text: string): string[] {
  if (!text.includes('"errors":')) return [];
  try {
    const body = JSON.parse(text) as { errors?: { extensions?: { code?: string; mosaicCode?: string } }[] };
    return [...new Set((body.errors ?? []).map((e) => e.extensions?.mosaicCode ?? e.extensions?.code ?? '(no code)'))];
  } catch {
    return ['(not JSON)'];
  }
}

const code = codeVersion();
const model = buildCloud({ size });
const workloads = loadWorkloads(model, values.workloads?.split(','));
if (workloads.length === 0) throw new Error(`no workload matches --workloads ${values.workloads}`);
const total = Math.floor((rate * durationMs) / 1000);
log(
  `bench:soak: size ${size}, ${runtime}, ${rate} req/s open-loop for ${durationMs / 60_000} min (${total} requests), workloads ${workloads.map((w) => w.name).join(', ')}; ${flap ? `${flap} ${flapMode} for half of every ${flapPeriodMs / 1000} s` : 'no flapping'}`,
);
const cloud = await startCloudChild(size, latencyMs);
const outcomes: Outcome[] = [];
const samples: (Sample & { t: number })[] = [];
const transitions: { t: number; down: boolean }[] = [];
let t0 = 0;
let gateway: GatewayChild | null = null;
try {
  const gw = await startGatewayChild({
    variant: runtime === 'apollo' ? 'mosaic-apollo' : 'mosaic-mercurius',
    keystoneUrl: cloud.info.keystoneUrl,
    legacyUrl: cloud.info.legacyUrl,
    legacyApiKey: cloud.info.legacyApiKey,
    // Production: Mosaic's service account reads revocation events, so cached tokens are trusted until revoked.
    keystoneServiceUser: DEMO_SERVICE_USER.name,
    keystoneServicePassword: DEMO_SERVICE_USER.password,
    fleetCacheTtlMs: defaults.fleet.cacheTtlMs,
    mongoUri: cloud.info.mongoUri,
    mongoDatabase: cloud.info.mongoDatabase,
  });
  gateway = gw;
  log(`gateway pid ${gw.pid} at ${gw.url}; metering ${cloud.info.mongoUri ? 'on' : `off (${cloud.info.mongoUnavailable})`}`);
  // Client sessions: `sessions` tokens per caller, each validated (and cached by the gateway) before the clock starts.
  const tokens: Record<CallerName, string[]> = { admin: [], alice: [] };
  for (let i = 0; i < sessions; i++) {
    tokens.admin.push(await issueToken(cloud.info.keystoneUrl, 'admin', 'admin'));
    tokens.alice.push(await issueToken(cloud.info.keystoneUrl, 'alice', 'web'));
  }
  for (const t of Object.values(tokens).flat()) await postGraphql(gw.url, { query: '{ viewer { userId } }', variables: {}, token: t });
  for (const w of workloads) await postGraphql(gw.url, { query: w.query, variables: w.variables, token: tokens[w.caller][0] });

  const setFaults = async (faults: object) => {
    if (!flap) return;
    await (await fetch(`${cloud.info.urls[flap]}/_emulator/faults`, { method: 'PUT', body: JSON.stringify(faults) })).arrayBuffer();
  };
  t0 = now() + 100;
  const endAt = t0 + durationMs;

  // The flapping upstream: up for the first half of each period, down for the second.
  const flapper = (async () => {
    if (!flap) return;
    for (let k = 1; t0 + (k * flapPeriodMs) / 2 < endAt; k++) {
      await sleep(t0 + (k * flapPeriodMs) / 2 - now());
      const down = k % 2 === 1;
      await setFaults(down ? FAULTS : UP);
      transitions.push({ t: now(), down });
    }
  })();

  // Gateway CPU and RSS once a second.
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      try {
        samples.push({ ...(await gw.sample()), t: now() });
      } catch (err) {
        log(`gateway sample failed: ${(err as Error).message}`);
      }
      await sleep(1000);
    }
  })();

  // Open loop: request i is due at t0 + i/rate and is sent then, whatever is still in flight.
  const inFlight = new Set<Promise<void>>();
  const fire = (i: number, due: number) => {
    const w = workloads[i % workloads.length];
    const token = tokens[w.caller][Math.floor(i / workloads.length) % sessions];
    const p = (async () => {
      let status = 0;
      let codes: string[] = [];
      try {
        const res = await fetch(gw.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-auth-token': token },
          body: JSON.stringify({ query: w.query, variables: w.variables }),
          signal: AbortSignal.timeout(clientTimeoutMs),
        });
        const text = await res.text();
        status = res.status;
        codes = codesOf(text);
      } catch (err) {
        codes = [(err as Error).name === 'TimeoutError' ? `(no answer in ${clientTimeoutMs / 1000} s)` : '(connection error)'];
      }
      outcomes.push({ due, end: now(), workload: w.name, status, codes });
    })();
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };
  let nextLog = t0 + intervalMs;
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - now();
    if (wait > 1) await sleep(wait);
    fire(i, due);
    if (now() >= nextLog) {
      const recent = outcomes.filter((o) => o.due >= nextLog - intervalMs && o.due < nextLog);
      nextLog += intervalMs;
      log(
        `${i + 1}/${total} sent, ${inFlight.size} in flight; the last ${intervalMs / 1000} s: ${recent.length} answered so far, ${recent.filter((o) => o.status >= 500).length} 5xx, p99 ${Math.round(
          percentile(
            recent.map((o) => o.end - o.due),
            99,
          ) ?? 0,
        )} ms, RSS ${Math.round((samples.at(-1)?.rss ?? 0) / 2 ** 20)} MB`,
      );
    }
  }
  log(`all ${total} sent; waiting for ${inFlight.size} in flight`);
  await Promise.race([Promise.all(inFlight), sleep(clientTimeoutMs + 5000)]);
  await flapper;
  sampling = false;
  await sampler;
  await setFaults(UP);
} finally {
  await gateway?.stop();
  await cloud.stop();
}

// ---------------------------------------------------------------------------------------------------------

const intervals: Interval[] = [];
const count = Math.ceil(durationMs / intervalMs);
/** Whether the upstream was down at epoch ms t. */
const downAt = (t: number) => {
  let down = false;
  for (const tr of transitions) if (tr.t <= t) down = tr.down;
  return down;
};
for (let k = 0; k < count; k++) {
  const from = t0 + k * intervalMs;
  const to = Math.min(from + intervalMs, t0 + durationMs);
  const mine = outcomes.filter((o) => o.due >= from && o.due < to);
  const latencies = mine.map((o) => o.end - o.due);
  const codes: Record<string, number> = {};
  let errorResponses = 0;
  for (const o of mine) {
    if (o.status === 0 || o.status >= 500) continue;
    if (o.codes.length || o.status >= 400) errorResponses++;
    for (const c of o.codes) codes[c] = (codes[c] ?? 0) + 1;
  }
  const inside = samples.filter((s) => s.t >= from && s.t < to);
  const rss = inside.map((s) => s.rss / 2 ** 20);
  const first = inside[0];
  const last = inside.at(-1);
  let downMs = 0;
  for (let t = from; t < to; t += 100) if (downAt(t)) downMs += 100;
  intervals.push({
    index: k + 1,
    fromS: (from - t0) / 1000,
    requests: mine.length,
    fiveXx: mine.filter((o) => o.status >= 500).length,
    noAnswer: mine.filter((o) => o.status === 0).length,
    errorResponses,
    codes,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies.length ? Math.max(...latencies) : null,
    cpuPercent: first && last && last.t > first.t ? ((last.cpuUs - first.cpuUs) / 1000 / (last.t - first.t)) * 100 : null,
    rssMeanMb: rss.length ? rss.reduce((a, b) => a + b, 0) / rss.length : null,
    rssMaxMb: rss.length ? Math.max(...rss) : null,
    downShare: downMs / Math.max(1, to - from),
  });
}
const all = outcomes.map((o) => o.end - o.due);
const fiveXx = outcomes.filter((o) => o.status >= 500).length;
const noAnswer = outcomes.filter((o) => o.status === 0).length + (total - outcomes.length);
const p99 = percentile(all, 99);
// Drift: the last interval against the second (the first holds the warm-up's growth); needs three intervals.
const second = intervals[1]?.rssMeanMb ?? null;
const lastRss = intervals.at(-1)?.rssMeanMb ?? null;
const rssDrift = intervals.length >= 3 && second && lastRss !== null ? (lastRss - second) / second : null;
const summary = {
  requests: total,
  answered: outcomes.length - outcomes.filter((o) => o.status === 0).length,
  fiveXx,
  noAnswer,
  errorResponses: intervals.reduce((a, i) => a + i.errorResponses, 0),
  p50Ms: percentile(all, 50),
  p99Ms: p99,
  maxMs: all.length ? Math.max(...all) : null,
  upstreamTimeoutMs,
  rssDrift,
  targets: {
    noFiveXx: fiveXx === 0 && noAnswer === 0,
    p99WithinTimeout: p99 !== null && p99 <= upstreamTimeoutMs,
    rssDriftUnder10Percent: rssDrift === null ? null : rssDrift < 0.1,
  },
};

const f0 = (n: number | null) => (n === null ? '—' : Math.round(n).toLocaleString('en-US'));
const date = new Date().toISOString().slice(0, 10);
const m = machine();
const unit = intervalMs === 60_000 ? 'minute' : `${intervalMs / 1000} s interval`;
const lines = [
  `Size \`${size}\`, upstream latency ${latencyMs} ms, Mosaic on ${runtime}, ${date}. Gateway code: commit ${code.commit}${code.uncommitted.length ? ` plus uncommitted changes to ${code.uncommitted.length} paths (listed in the JSON)` : ''}.`,
  `Machine: ${m.nproc} CPUs (${m.cpu}), ${m.memoryGb} GB, Node ${m.node}; cloud, gateway and load generator share it.`,
  `Load: ${rate} req/s open-loop for ${durationMs / 60_000} min (${total} requests), round robin over ${workloads.map((w) => w.name).join(', ')}, ${sessions} tokens per caller; latency from each request's due time. ${flap ? `${flap} ${flapMode} (${JSON.stringify(FAULTS)}) for the second half of every ${flapPeriodMs / 1000} s.` : 'No upstream flapping.'}`,
  `Gateway: config defaults (rateLimit off as in every bench run, Keystone service account on, fleet cache ${defaults.fleet.cacheTtlMs} ms).`,
  '',
  `| ${unit} | requests | 5xx | no answer | error responses (codes) | p50 ms | p99 ms | max ms | gateway CPU % | RSS MB mean/max | ${flap ?? 'upstream'} down |`,
  '|---|---|---|---|---|---|---|---|---|---|---|',
  ...intervals.map(
    (i) =>
      `| ${i.index} | ${i.requests} | ${i.fiveXx} | ${i.noAnswer} | ${i.errorResponses}${
        Object.keys(i.codes).length
          ? ` (${Object.entries(i.codes)
              .sort((a, b) => b[1] - a[1])
              .map(([c, n]) => `${c} ${n}`)
              .join(', ')})`
          : ''
      } | ${f0(i.p50Ms)} | ${f0(i.p99Ms)} | ${f0(i.maxMs)} | ${f0(i.cpuPercent)} | ${f0(i.rssMeanMb)}/${f0(i.rssMaxMb)} | ${Math.round(i.downShare * 100)}% |`,
  ),
  '',
  `- 5xx: ${fiveXx}, never answered: ${noAnswer} (target 0) → ${summary.targets.noFiveXx ? 'PASS' : '**FAIL**'}`,
  `- latency p50 ${f0(summary.p50Ms)} ms, p99 ${f0(p99)} ms, max ${f0(summary.maxMs)} ms; p99 vs upstreams.${flap ?? 'nova'}.timeoutMs ${upstreamTimeoutMs} ms → ${summary.targets.p99WithinTimeout ? 'PASS' : '**FAIL**'}`,
  `- RSS drift (mean of the last ${unit} vs the second): ${rssDrift === null ? `n/a (needs 3 ${unit}s, ran ${intervals.length})` : `${(rssDrift * 100).toFixed(1)} % (${f0(second)} → ${f0(lastRss)} MB) → ${summary.targets.rssDriftUnder10Percent ? 'PASS' : '**FAIL**'}`} (target < 10 %)`,
];
const table = lines.join('\n');
process.stdout.write(`\n${table}\n\n`);

const dir = path.join(BENCH_DIR, 'results');
fs.mkdirSync(dir, { recursive: true });
const file = path.join(dir, `${date}-soak${runtime === 'apollo' ? '-apollo' : ''}.json`);
const record = {
  date,
  mode: 'soak',
  size,
  latencyMs,
  runtime,
  rate,
  minutes: durationMs / 60_000,
  intervalS: intervalMs / 1000,
  workloads: workloads.map((w) => ({ name: w.name, caller: w.caller })),
  sessions,
  flap: flap
    ? {
        service: flap,
        mode: flapMode,
        faults: FAULTS,
        periodS: flapPeriodMs / 1000,
        transitions: transitions.map((t) => ({ s: (t.t - t0) / 1000, down: t.down })),
      }
    : null,
  machine: m,
  code,
  summary,
  intervals,
  byWorkload: Object.fromEntries(
    workloads.map((w) => {
      const mine = outcomes.filter((o) => o.workload === w.name);
      const lat = mine.map((o) => o.end - o.due);
      return [
        w.name,
        { requests: mine.length, fiveXx: mine.filter((o) => o.status >= 500).length, p50Ms: percentile(lat, 50), p99Ms: percentile(lat, 99) },
      ];
    }),
  ),
};
fs.writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
log(`wrote ${path.relative(process.cwd(), file)}`);
process.exit(0);
