// `npm run bench:attack -- [--size small] [--variants mosaic-mercurius,mosaic-apollo] [--only a,b] [--baseline-s 1]`
// Issue #13's attack set against each runtime, one attack at a time, while a bystander's ordinary query runs in
// a loop beside it: per attack the HTTP status, error codes, response bytes, time to answer, upstream calls it
// caused (the emulators' counters) and how much longer the bystander waited than its baseline p50 measured
// just before. PASS/FAIL per row against the targets (≤ 200 ms, ≤ 5 MB, ≤ server.maxUpstreamCalls calls, no
// 5xx, nothing leaked, bystander delay ≤ 100 ms). A report, not a test: exits 0 whatever the rows say.
// Writes bench/results/<date>-attack.json and prints a markdown table. The attacks are bench/attacks.ts.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildCloud, DEMO_SERVICE_USER } from '../subgraphs/seed/build-cloud.ts';
import type { CloudSize } from '../subgraphs/seed/types.ts';
import { validateConfig } from '../core/config.ts';
import { startCloudChild, startGatewayChild, type GatewayChild } from './children.ts';
import type { Variant } from './gateway-process.ts';
import { postGraphql } from './measure.ts';
import { BENCH_DIR, codeVersion, machine, type CodeVersion, type Machine } from './report.ts';
import { buildAttacks, leakIn, type Attack, type AttackCaller } from './attacks.ts';
import { startBystander, type Bystander } from './bystander.ts';
import { issueToken } from './keystone-token.ts';
import { percentile } from './percentile.ts';
import { readUpstreamCalls, resetUpstreamCounters, type UpstreamCalls } from './upstream-calls.ts';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: 'small' },
    latency: { type: 'string', default: '5' },
    variants: { type: 'string', default: 'mosaic-mercurius,mosaic-apollo' },
    only: { type: 'string' },
    'baseline-s': { type: 'string', default: '1' },
    'timeout-s': { type: 'string', default: '30' },
  },
});
const size = values.size as CloudSize;
const latencyMs = Number(values.latency);
const variants = values.variants.split(',') as Variant[];
const baselineMs = Number(values['baseline-s']) * 1000;
const timeoutMs = Number(values['timeout-s']) * 1000;
/** After the answer, how long the bystander is still watched (work left behind, GC of a big answer). */
const SETTLE_MS = 250;
const started = Date.now();
const log = (msg: string) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${msg}\n`);
const now = () => performance.timeOrigin + performance.now();

// The gateway child runs with the config defaults (bench/gateway-process.ts sets only the port, runtime, logs,
// the dashboard cache and rateLimit.max 0); the targets read the same defaults.
const defaults = validateConfig({});
const TARGETS = {
  answerMs: 200,
  responseBytes: 5 * 2 ** 20,
  upstreamCalls: defaults.server.maxUpstreamCalls,
  bystanderDelayMs: 100,
};
const BYSTANDER = { query: '{ viewer { userName } }', caller: 'member' as const };

interface AttackRow {
  attack: string;
  variant: Variant;
  caller: AttackCaller;
  requestBytes: number;
  status: number;
  /** mosaicCode (else code) of each error in the answer, distinct, with counts when repeated. */
  codes: string[];
  /** The first error's message (its first 200 characters), to tell refusals apart. */
  message?: string;
  responseBytes: number;
  /** Until the response headers, and until its last byte. */
  headersMs: number | null;
  answerMs: number;
  /** Set when no answer came (connection reset, or the client gave up after --timeout-s). */
  clientError?: string;
  upstreamCalls: UpstreamCalls;
  bystander: {
    baselineSamples: number;
    baselineP50Ms: number | null;
    baselineP99Ms: number | null;
    /** Bystander requests that overlapped the attack (from its send until SETTLE_MS after its answer). */
    samples: number;
    maxMs: number | null;
    /** maxMs − baselineP50Ms. */
    delayMs: number | null;
    /** Overlapping bystander requests that did not answer 200 without errors. */
    failed: number;
  };
  failures: string[];
  pass: boolean;
}

/** Reads a response counting every byte, keeping the first 64 MB as text. */
async function readBody(res: Response): Promise<{ bytes: number; text: string }> {
  const keep = 64 * 2 ** 20;
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  let kept = 0;
  const reader = res.body?.getReader();
  if (!reader) return { bytes: 0, text: '' };
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    if (kept < keep) {
      chunks.push(value);
      kept += value.byteLength;
    }
  }
  return { bytes, text: Buffer.concat(chunks).toString('utf8') };
}

function codesOf(text: string): string[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return text ? ['(not JSON)'] : [];
  }
  const counts = new Map<string, number>();
  for (const b of Array.isArray(body) ? body : [body]) {
    const errors = (b as { errors?: { message?: string; extensions?: { code?: string; mosaicCode?: string } }[] } | null)?.errors;
    for (const e of Array.isArray(errors) ? errors : []) {
      const code = e.extensions?.mosaicCode ?? e.extensions?.code ?? '(no code)';
      counts.set(code, (counts.get(code) ?? 0) + 1);
    }
  }
  return [...counts].map(([c, n]) => (n > 1 ? `${c} ×${n}` : c));
}

type Answer = Omit<AttackRow, 'upstreamCalls' | 'bystander' | 'failures' | 'pass'> & { text: string };

function firstMessage(text: string): string | undefined {
  const m = /"message"\s*:\s*"((?:[^"\\]|\\.){0,200})/.exec(text.slice(0, 100_000));
  return m ? m[1] : undefined;
}

async function send(url: string, variant: Variant, attack: Attack, token: string | null): Promise<Answer> {
  const r = attack.request;
  const headers: Record<string, string> = {};
  if (token) headers['x-auth-token'] = token;
  if (r.contentType) headers['content-type'] = r.contentType;
  const target = r.method === 'GET' ? `${url}?${new URLSearchParams(r.params)}` : url;
  const requestBytes = r.method === 'GET' ? target.length - url.length : Buffer.byteLength(r.body ?? '');
  const base = { attack: attack.name, variant, caller: attack.caller, requestBytes };
  const t0 = performance.now();
  let headersMs: number | null = null;
  try {
    const res = await fetch(target, {
      method: r.method,
      headers,
      body: r.method === 'POST' ? r.body : undefined,
      signal: AbortSignal.timeout(timeoutMs),
    });
    headersMs = performance.now() - t0;
    const { bytes, text } = await readBody(res);
    const answerMs = performance.now() - t0;
    return { ...base, status: res.status, codes: codesOf(text), message: firstMessage(text), responseBytes: bytes, headersMs, answerMs, text };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const why =
      e.name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : `${e.message}${e.cause ? ` (${e.cause.code ?? e.cause.message})` : ''}`;
    return { ...base, status: 0, codes: [], responseBytes: 0, headersMs, answerMs: performance.now() - t0, clientError: why, text: '' };
  }
}

async function runAttack(
  variant: Variant,
  gateway: GatewayChild,
  cloud: Awaited<ReturnType<typeof startCloudChild>>,
  bystander: Bystander,
  attack: Attack,
  tokens: Record<AttackCaller, string | null>,
): Promise<AttackRow> {
  // Nothing of the previous attack still running (the bystander's own request aside), then a fresh baseline.
  for (let i = 0; i < 300 && (await gateway.sample()).inFlight > 1; i++) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, baselineMs));
  await resetUpstreamCounters(cloud.info);
  const sentAt = now();
  const { text, ...row } = await send(gateway.url, variant, attack, tokens[attack.caller]);
  const watchUntil = now() + SETTLE_MS;
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  const upstreamCalls = await readUpstreamCalls(cloud.info);
  await bystander.waitPast(watchUntil);

  const baseline = bystander.samples.filter((s) => s.start >= sentAt - baselineMs && s.end <= sentAt).map((s) => s.end - s.start);
  const during = bystander.samples.filter((s) => s.end > sentAt && s.start < watchUntil);
  const maxMs = during.length ? Math.max(...during.map((s) => s.end - s.start)) : null;
  const p50 = percentile(baseline, 50);
  const delayMs = maxMs !== null && p50 !== null ? maxMs - p50 : null;

  const failures: string[] = [];
  if (row.clientError) failures.push(`no answer: ${row.clientError}`);
  if (row.status >= 500) failures.push(`HTTP ${row.status}`);
  if (row.answerMs > TARGETS.answerMs) failures.push(`${Math.round(row.answerMs)} ms > ${TARGETS.answerMs} ms`);
  if (row.responseBytes > TARGETS.responseBytes) failures.push(`${(row.responseBytes / 2 ** 20).toFixed(1)} MB > 5 MB`);
  if (upstreamCalls.total > TARGETS.upstreamCalls) failures.push(`${upstreamCalls.total} upstream calls > ${TARGETS.upstreamCalls}`);
  if (delayMs !== null && delayMs > TARGETS.bystanderDelayMs) failures.push(`bystander +${Math.round(delayMs)} ms > ${TARGETS.bystanderDelayMs} ms`);
  if (delayMs === null) failures.push('no bystander measurement');
  // What the answer says: a stack, an exception or a trace leaked, or the attack's own check (it ran when it must not).
  if (!row.clientError)
    for (const problem of [leakIn(text), attack.check?.({ status: row.status, text }) ?? null]) if (problem) failures.push(problem);
  return {
    ...row,
    upstreamCalls,
    bystander: {
      baselineSamples: baseline.length,
      baselineP50Ms: p50,
      baselineP99Ms: percentile(baseline, 99),
      samples: during.length,
      maxMs,
      delayMs,
      failed: during.filter((s) => !s.ok).length,
    },
    failures,
    pass: failures.length === 0,
  };
}

const ms = (n: number | null) => (n === null ? '—' : n < 10 ? n.toFixed(1) : Math.round(n).toLocaleString('en-US'));
const bytes = (n: number) => (n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KB` : `${n} B`);

function markdown(rows: AttackRow[], attacks: Attack[], header: string[]): string {
  const lines = [...header, ''];
  lines.push('| attack | runtime | caller | status | codes | bytes | ms | upstream calls | bystander max − p50 ms (p50/p99) | result |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const by = r.bystander;
    lines.push(
      `| ${r.attack} | ${r.variant.replace('mosaic-', '')} | ${r.caller} | ${r.clientError ? 'none' : r.status} | ${r.codes.join(', ') || '—'} | ${bytes(r.responseBytes)} | ${ms(r.answerMs)} | ${r.upstreamCalls.total} | ${by.delayMs === null ? '—' : `${by.delayMs >= 0 ? '+' : ''}${ms(by.delayMs)}`} (${ms(by.baselineP50Ms)}/${ms(by.baselineP99Ms)}) | ${r.pass ? 'PASS' : `**FAIL**: ${r.failures.join('; ')}`} |`,
    );
  }
  lines.push('');
  lines.push('Attacks:');
  lines.push('');
  for (const a of attacks) lines.push(`- **${a.name}** (${a.caller}): ${a.description}`);
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------------------

const code: CodeVersion = codeVersion();
const model = buildCloud({ size });
const attacks = buildAttacks(model).filter((a) => !values.only || values.only.split(',').includes(a.name));
log(
  `bench:attack: size ${size}, ${attacks.length} attacks × ${variants.join(', ')}, bystander ${BYSTANDER.query} (${BYSTANDER.caller}), baseline ${baselineMs} ms`,
);
const cloud = await startCloudChild(size, latencyMs);
const rows: AttackRow[] = [];
/** A variant whose run stopped (its gateway died or hung): the attack it was on, and why. Its later attacks did not run. */
const stopped: { variant: Variant; attack: string; error: string }[] = [];
try {
  const tokens: Record<AttackCaller, string | null> = {
    none: null,
    member: await issueToken(cloud.info.keystoneUrl, 'alice', 'web'),
    admin: await issueToken(cloud.info.keystoneUrl, 'admin', 'admin'),
  };
  for (const variant of variants) {
    const gateway = await startGatewayChild({
      variant,
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
    log(`${variant}: gateway pid ${gateway.pid} at ${gateway.url}`);
    let bystander: Bystander | null = null;
    let current = '(setup)';
    try {
      // Validate both tokens (cached from here on) and warm the bystander's path before anything is measured.
      for (const t of [tokens.member!, tokens.admin!])
        for (let i = 0; i < 20; i++) await postGraphql(gateway.url, { query: BYSTANDER.query, variables: {}, token: t });
      bystander = startBystander(gateway.url, BYSTANDER.query, tokens[BYSTANDER.caller]!);
      await new Promise((r) => setTimeout(r, 1000));
      for (const attack of attacks) {
        current = attack.name;
        const row = await runAttack(variant, gateway, cloud, bystander, attack, tokens);
        rows.push(row);
        log(
          `  ${attack.name}: ${row.clientError ?? row.status} ${row.codes.join(',') || '-'} ${bytes(row.responseBytes)} ${ms(row.answerMs)} ms, ${row.upstreamCalls.total} calls, bystander ${row.bystander.delayMs === null ? '—' : `+${ms(row.bystander.delayMs)}`} ms → ${row.pass ? 'PASS' : `FAIL (${row.failures.join('; ')})`}${row.message ? ` — "${row.message.slice(0, 100)}"` : ''}`,
        );
      }
    } catch (err) {
      stopped.push({ variant, attack: current, error: (err as Error).message });
      log(`${variant}: FAIL: the run stopped at ${current}: ${(err as Error).message}`);
    } finally {
      await bystander?.stop();
      await gateway.stop();
    }
  }
} finally {
  await cloud.stop();
}

const date = new Date().toISOString().slice(0, 10);
const m: Machine = machine();
const header = [
  `Size \`${size}\`, upstream latency ${latencyMs} ms, ${date}. Gateway code: commit ${code.commit}${code.uncommitted.length ? ` plus uncommitted changes to ${code.uncommitted.length} paths (listed in the JSON)` : ''}.`,
  `Machine: ${m.nproc} CPUs (${m.cpu}), ${m.memoryGb} GB, Node ${m.node}; cloud, gateway and load generator share it.`,
  `Gateway config: the defaults (server.maxUpstreamCalls ${defaults.server.maxUpstreamCalls}, maxTokens ${defaults.server.maxTokens}, bodyLimitBytes ${defaults.server.bodyLimitBytes}, maxCost ${defaults.server.maxCost}), Keystone service account on, rateLimit.max 0 (off: see bench/README.md).`,
  `Bystander: \`${BYSTANDER.query}\` as a ${BYSTANDER.caller}, concurrency 1, in a worker thread; its baseline is the ${baselineMs / 1000} s before each attack; "max − p50" is its slowest request overlapping the attack (until ${SETTLE_MS} ms after the answer) minus the baseline p50.`,
  `Targets: answered ≤ ${TARGETS.answerMs} ms, ≤ 5 MB, upstream calls ≤ ${TARGETS.upstreamCalls}, no 5xx, no stack/exception/tracing in the body (plus the attack's own check), bystander delay ≤ ${TARGETS.bystanderDelayMs} ms.`,
];
const table = markdown(rows, attacks, header);
const failed = rows.filter((r) => !r.pass);
process.stdout.write(`\n${table}\n\n`);
for (const st of stopped) process.stdout.write(`FAILED: the ${st.variant} run stopped at ${st.attack}: ${st.error}\n`);
if (failed.length) {
  process.stdout.write(
    `FAILED ${failed.length} of ${rows.length}:\n${failed.map((r) => `  - ${r.attack} (${r.variant}): ${r.failures.join('; ')}`).join('\n')}\n\n`,
  );
} else if (!stopped.length) process.stdout.write(`All ${rows.length} rows PASS.\n\n`);

const dir = path.join(BENCH_DIR, 'results');
fs.mkdirSync(dir, { recursive: true });
// `<date>-attack.json` for the default run; another size or a narrowed run is named so.
const file = path.join(dir, `${date}-attack${size !== 'small' ? `-${size}` : ''}${values.only || variants.length !== 2 ? '-partial' : ''}.json`);
const record = {
  date,
  mode: 'attack',
  size,
  latencyMs,
  variants,
  machine: m,
  code,
  config: {
    maxUpstreamCalls: defaults.server.maxUpstreamCalls,
    maxTokens: defaults.server.maxTokens,
    bodyLimitBytes: defaults.server.bodyLimitBytes,
    maxCost: defaults.server.maxCost,
    rateLimit: 'off (rateLimit.max 0, as bench/gateway-process.ts sets it)',
  },
  targets: TARGETS,
  bystander: { ...BYSTANDER, baselineMs, settleMs: SETTLE_MS },
  attacks: attacks.map((a) => ({
    name: a.name,
    description: a.description,
    caller: a.caller,
    method: a.request.method,
    contentType: a.request.contentType,
  })),
  rows,
  stopped,
  failed: failed.length,
};
fs.writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
log(`wrote ${path.relative(process.cwd(), file)} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
process.exit(0);
