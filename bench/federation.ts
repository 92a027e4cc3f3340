// `npm run bench:federation -- [--size small] [--latency 5] [--duration 5] [--quick] [--variants mosaic-mercurius,mosaic-apollo,federation-library]`
// The federated workloads (test/fixtures/federation: project-bill, dashboard-cost, instance-detail-cost) against
// gateways that federate the billing subgraph: the emulated cloud in one child (it starts FerretDB, whose server
// billing uses too, in a database of its own), billing in another (bench/federation-billing-process.ts), each
// gateway variant in a third; load from this process. Per workload × variant: p50/p99 at c1, req/s at c16,
// `_entities` calls of one query (recorded by billing) against the floor (one per subgraph per level, computed
// from the query: bench/federation-floors.ts), the same workload without billing's fields at c1, the latency
// federation adds and billing's own round trip (medians of 40 interleaved rounds of: with, without, and the
// workload's slowest `_entities` call replayed straight to billing — so other load on the machine hits all
// three). Target: added ≤ that round trip + 5 ms. `federation-library` is the library baseline
// (bench/federation-library.ts: @graphql-tools/federation over a composed supergraph, Mosaic as one subgraph);
// its answers are checked equal to the first variant's (lists as multisets, metric values aside).
// Writes bench/results/<date>-federation-<size>.json and prints the table.
import { fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Kind, buildClientSchema, getIntrospectionQuery, parse, type GraphQLSchema } from 'graphql';
import { buildCloud } from '../subgraphs/seed/build-cloud.ts';
import { DEMO_SERVICE_USER } from '../subgraphs/seed/build-cloud.ts';
import type { CloudSize } from '../subgraphs/seed/types.ts';
import { BILLING_SDL } from '../subgraphs/billing/schema.ts';
import { identityHeaders } from '../server/federation/caller-identity.ts';
import { startCloudChild, startGatewayChild, type GatewayChild } from './children.ts';
import { issueToken } from './keystone-token.ts';
import { loadRun, postGraphql, waitIdle, type GraphqlRequest, type LoadResult } from './measure.ts';
import { machine, codeVersion, BENCH_DIR } from './report.ts';
import { entityFieldsOf, entityLevels } from './federation-floors.ts';
import { loadFederatedWorkloads, withoutFields, type FederatedWorkload } from './federation-workloads.ts';
import type { BillingChildMessage, BillingChildOptions, SeenRequest } from './federation-billing-process.ts';
import type { Variant } from './variants.ts';
import type { CallerName } from './workloads.ts';

// As the image runs (Dockerfile: ENV NODE_ENV=production), and inherited by every child (cloud, billing, gateways,
// which run through tsx here): graphql-js's development-mode type checks (jsutils/instanceOf.js) otherwise cost the
// graphql-js executors — Apollo's runtime, the library baseline and billing's Apollo Server — several ms per large
// answer that Mercurius' graphql-jit never pays (a CPU profile of project-bill on Apollo showed them at the top).
process.env.NODE_ENV ??= 'production';

const FEDERATED_VARIANTS: Variant[] = ['mosaic-mercurius', 'mosaic-apollo', 'federation-library'];
const { values } = parseArgs({
  options: {
    size: { type: 'string', default: 'small' },
    latency: { type: 'string', default: '5' },
    duration: { type: 'string' },
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    variants: { type: 'string', default: FEDERATED_VARIANTS.join(',') },
  },
});
const size = values.size as CloudSize;
const latencyMs = Number(values.latency);
const durationS = Number(values.duration ?? (values.quick ? 2 : 5));
const variants = values.variants.split(',') as Variant[];
for (const v of variants) if (!FEDERATED_VARIANTS.includes(v)) throw new Error(`unknown variant "${v}" (${FEDERATED_VARIANTS.join(', ')})`);
const SECRET = 'bench-federation-secret-0123456789';
const started = Date.now();
const log = (msg: string) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${msg}\n`);

/** Billing in its own process; `requests()` returns (and clears) what it received since the last call. */
async function startBillingChild(options: BillingChildOptions) {
  const child = fork(path.join(BENCH_DIR, 'federation-billing-process.ts'), [JSON.stringify(options)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let nextId = 1;
  const pending = new Map<number, (r: SeenRequest[]) => void>();
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`billing exited (${code}) before it was ready`)));
    child.on('message', (m: BillingChildMessage) => {
      if (m.type === 'ready') resolve(m.url);
      else if (m.type === 'error') reject(new Error(`billing failed to start: ${m.message}`));
      else if (m.type === 'requests') {
        pending.get(m.id)?.(m.requests);
        pending.delete(m.id);
      }
    });
  });
  return {
    url,
    pid: child.pid!,
    requests: () =>
      new Promise<SeenRequest[]>((resolve) => {
        const id = nextId++;
        pending.set(id, resolve);
        child.send({ type: 'requests', id });
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

/** One replay of a recorded `_entities` call, straight to billing (freshly signed): ms. */
async function replay(url: string, call: SeenRequest): Promise<number> {
  const t = performance.now();
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...identityHeaders(SECRET, call.caller) },
    body: JSON.stringify({ query: call.query, variables: call.variables }),
  });
  await res.arrayBuffer();
  return performance.now() - t;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Median ms of `samples` sequential replays of one recorded call, on an otherwise idle gateway. */
async function subgraphRoundTrip(url: string, call: SeenRequest, samples = 30): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) times.push(await replay(url, call));
  return median(times);
}

/**
 * The latency the subgraph's fields add and the subgraph's round trip under the same conditions: `rounds`
 * back-to-back triples — the query with the fields, without them, and the workload's slowest `_entities` call
 * replayed straight to billing — one at a time, so load from other work on the machine falls on all three alike.
 */
async function pairedLatency(
  url: string,
  full: GraphqlRequest,
  plain: GraphqlRequest,
  billingUrl: string,
  slowest: SeenRequest | undefined,
  rounds = 40,
): Promise<{ withMs: number; withoutMs: number; roundTripMs: number | null }> {
  const withMs: number[] = [];
  const withoutMs: number[] = [];
  const roundTrips: number[] = [];
  for (let i = 0; i < rounds; i++) {
    let t = performance.now();
    await postGraphql(url, full);
    withMs.push(performance.now() - t);
    t = performance.now();
    await postGraphql(url, plain);
    withoutMs.push(performance.now() - t);
    if (slowest) roundTrips.push(await replay(billingUrl, slowest));
  }
  return { withMs: median(withMs), withoutMs: median(withoutMs), roundTripMs: slowest ? median(roundTrips) : null };
}

/** Representations in a recorded call: how big it is. */
const representations = (r: SeenRequest) => Object.values(r.variables).reduce<number>((n, v) => n + (Array.isArray(v) ? v.length : 0), 0);

/** Compared by shape only: metric figures (the feed rewrites them) and the month so far (it grows by the second). */
const METRIC_FIELDS = new Set(['metrics', 'cpuUtilAvg', 'costSoFar']);
/** JSON with keys sorted, lists compared as multisets, METRIC_FIELDS by shape only. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).sort().join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => {
        const v = (value as Record<string, unknown>)[k];
        return `${JSON.stringify(k)}:${METRIC_FIELDS.has(k) ? (v === null ? 'null' : typeof v) : canonical(v)}`;
      })
      .join(',')}}`;
  return JSON.stringify(value);
}

interface FederationCell {
  workload: string;
  variant: Variant;
  entitiesCalls: number;
  floor: number;
  levels: number[];
  /** Representations per `_entities` call, in order. */
  representations: number[];
  errors: string[];
  sameDataAsFirst: boolean | null;
  c1: LoadResult;
  c16: LoadResult;
  withoutSubgraph: { c1: LoadResult; c16: LoadResult };
  /** Medians of interleaved sequential pairs (pairedLatency): with the subgraph's fields, without, and the difference. */
  paired: { withMs: number; withoutMs: number };
  addedP50Ms: number | null;
  /** The slowest call's round trip, median of its replays interleaved with the pairs (pairedLatency). */
  subgraphRoundTripMs: number | null;
  /** The same, replayed 30 times in a row before the load runs, the gateway idle. */
  idleSubgraphRoundTripMs: number | null;
  withinTarget: boolean | null;
}

const model = buildCloud({ size });
log(
  `bench:federation: size ${size} (${model.servers.length} instances), latency ${latencyMs} ms, ${durationS} s per run, variants ${variants.join(', ')}`,
);
const cloud = await startCloudChild(size, latencyMs);
if (!cloud.info.mongoUri) {
  await cloud.stop();
  throw new Error(`bench:federation needs MongoDB for billing: ${cloud.info.mongoUnavailable}`);
}
const billing = await startBillingChild({ size, mongoUri: cloud.info.mongoUri, database: `bench_billing_${process.pid}`, secret: SECRET });
log(`billing: ${billing.url} (pid ${billing.pid})`);
const cells: FederationCell[] = [];
try {
  const tokens: Record<CallerName, string[]> = { admin: [], alice: [] };
  for (let i = 0; i < 16; i++) {
    tokens.admin.push(await issueToken(cloud.info.keystoneUrl, 'admin', 'admin'));
    tokens.alice.push(await issueToken(cloud.info.keystoneUrl, 'alice', 'web'));
  }
  const workloads = loadFederatedWorkloads(model, values.only?.split(','));
  const entityFields = entityFieldsOf(BILLING_SDL);
  const billingRootFields = new Set(
    parse(BILLING_SDL)
      .definitions.flatMap((d) => (d.kind === Kind.OBJECT_TYPE_DEFINITION && d.name.value === 'Query' ? (d.fields ?? []) : []))
      .map((f) => `Query.${f.name.value}`),
  );
  let schema: GraphQLSchema | null = null;
  const reference = new Map<string, string>();
  const request = (w: Pick<FederatedWorkload, 'query' | 'variables' | 'caller'>): GraphqlRequest => ({
    query: w.query,
    variables: w.variables,
    token: tokens[w.caller][0],
    sessions: tokens[w.caller],
  });

  for (const variant of variants) {
    let gateway: GatewayChild;
    try {
      gateway = await startGatewayChild({
        variant,
        share: false,
        keystoneUrl: cloud.info.keystoneUrl,
        legacyUrl: cloud.info.legacyUrl,
        legacyApiKey: cloud.info.legacyApiKey,
        keystoneServiceUser: DEMO_SERVICE_USER.name,
        keystoneServicePassword: DEMO_SERVICE_USER.password,
        fleetCacheTtlMs: 0,
        mongoUri: cloud.info.mongoUri,
        mongoDatabase: cloud.info.mongoDatabase,
        subgraphs: [{ name: 'billing', url: billing.url, secret: SECRET, timeoutMs: 10_000 }],
      });
    } catch (err) {
      log(`${variant}: did not start: ${(err as Error).message.split('\n').slice(0, 3).join(' | ')}`);
      continue;
    }
    log(`${variant}: gateway pid ${gateway.pid} at ${gateway.url}`);
    try {
      for (const t of Object.values(tokens).flat()) await postGraphql(gateway.url, { query: '{ viewer { userId } }', variables: {}, token: t });
      if (!schema) {
        const intro = await postGraphql(gateway.url, { query: getIntrospectionQuery(), variables: {}, token: tokens.admin[0] });
        schema = buildClientSchema(intro.body.data as never);
      }
      for (const w of workloads) {
        const levels = entityLevels(schema, w.query, entityFields);
        const plain = { ...w, ...withoutFields(schema, w.query, w.variables, new Set([...entityFields, ...billingRootFields])) };
        for (let i = 0; i < 3; i++) {
          await postGraphql(gateway.url, request(w));
          await postGraphql(gateway.url, request(plain));
        }
        await waitIdle(gateway);
        await billing.requests();
        const { body } = await postGraphql(gateway.url, request(w));
        const seen = (await billing.requests()).filter((r) => r.query.includes('_entities'));
        const data = canonical(body.data ?? null);
        if (!reference.has(w.name)) reference.set(w.name, data);
        const errors = [
          ...new Set(
            (body.errors ?? []).map(
              (e) => `${e.extensions?.mosaicCode ?? e.extensions?.code ?? e.message.slice(0, 60)} at ${(e.path ?? []).join('.')}`,
            ),
          ),
        ];
        // The subgraph's round trip: the slowest of the workload's calls, each replayed on its own.
        let idleRoundTrip: number | null = null;
        let slowest: SeenRequest | undefined;
        for (const call of seen) {
          const ms = await subgraphRoundTrip(billing.url, call);
          if (idleRoundTrip === null || ms > idleRoundTrip) [idleRoundTrip, slowest] = [ms, call];
        }
        const c1 = await loadRun(gateway, request(w), 1, durationS);
        const plainC1 = await loadRun(gateway, request(plain), 1, durationS);
        const c16 = await loadRun(gateway, request(w), 16, durationS);
        const plainC16 = await loadRun(gateway, request(plain), 16, durationS);
        const paired = await pairedLatency(gateway.url, request(w), request(plain), billing.url, slowest);
        const roundTrip = paired.roundTripMs;
        await billing.requests(); // drop what the load runs left
        const added = paired.withMs - paired.withoutMs;
        const cell: FederationCell = {
          workload: w.name,
          variant,
          entitiesCalls: seen.length,
          floor: levels.length,
          levels,
          representations: seen.map(representations),
          errors,
          sameDataAsFirst: variant === variants[0] ? null : reference.get(w.name) === data,
          c1,
          c16,
          withoutSubgraph: { c1: plainC1, c16: plainC16 },
          paired,
          addedP50Ms: added,
          subgraphRoundTripMs: roundTrip,
          idleSubgraphRoundTripMs: idleRoundTrip,
          withinTarget: added !== null && roundTrip !== null ? added <= roundTrip + 5 : null,
        };
        cells.push(cell);
        log(
          `  ${w.name}: _entities ${cell.entitiesCalls} (floor ${cell.floor}), c1 p50 ${c1.latencyMs?.p50} ms (without billing ${plainC1.latencyMs?.p50}), ` +
            `paired ${paired.withMs.toFixed(1)} / ${paired.withoutMs.toFixed(1)} ms: added ${added.toFixed(1)} ms, billing round trip ${roundTrip?.toFixed(2)} ms, c16 ${c16.requestsPerSec.toFixed(1)} req/s` +
            (errors.length ? `, errors: ${errors.join('; ')}` : ''),
        );
      }
    } finally {
      await gateway.stop();
    }
  }
} finally {
  await billing.stop();
  await cloud.stop();
}

const f1 = (n: number | null | undefined) => (n === null || n === undefined ? '—' : n.toFixed(1));
const rows = cells.map((c) => {
  const ref = cells.find((r) => r.workload === c.workload && r.variant === variants[0]);
  // Throughput as a share of the first variant's, in the same run (the machine's other load falls on both).
  const ratio = ref && ref !== c && ref.c16.requestsPerSec > 0 ? ` (×${(c.c16.requestsPerSec / ref.c16.requestsPerSec).toFixed(2)})` : '';
  return (
    `| ${c.workload} | ${c.variant} | ${c.entitiesCalls} / ${c.floor} | ${f1(c.c1.latencyMs?.p50)} / ${f1(c.c1.latencyMs?.p99)} | ` +
    `${f1(c.withoutSubgraph.c1.latencyMs?.p50)} | ${f1(c.paired.withMs)} / ${f1(c.paired.withoutMs)} = +${f1(c.addedP50Ms)} | ${f1(c.subgraphRoundTripMs)} | ${c.withinTarget === null ? '—' : c.withinTarget ? 'yes' : 'no'} | ` +
    `${f1(c.c16.requestsPerSec)}${ratio} | ${f1(c.c16.cpuMsPerRequest)} | ${f1(c.withoutSubgraph.c16.requestsPerSec)} | ${c.sameDataAsFirst === null ? 'ref' : c.sameDataAsFirst ? 'yes' : 'NO'} | ${c.errors.length ? c.errors.join('; ') : '—'} |`
  );
});
const table = [
  '| workload | variant | `_entities` calls / floor | c1 p50 / p99 ms | without billing c1 p50 ms | paired median ms with / without = added | billing round trip ms | added ≤ round trip + 5 | c16 req/s (× first variant) | gateway CPU ms/req at c16 | without billing c16 req/s | same data | errors |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ...rows,
].join('\n');
process.stdout.write(`\n${table}\n\n`);
const date = new Date().toISOString().slice(0, 10);
const file = path.join(BENCH_DIR, 'results', `${date}-federation-${size}${values.quick ? '-quick' : ''}.json`);
fs.mkdirSync(path.dirname(file), { recursive: true });
fs.writeFileSync(
  file,
  `${JSON.stringify({ date, size, latencyMs, durationS, machine: machine(), code: codeVersion(), variants, cells }, null, 2)}\n`,
);
log(`wrote ${file} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
