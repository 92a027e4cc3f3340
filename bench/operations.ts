// `npm run bench:operations -- [--count 40] [--concurrency 8] [--runtime mercurius] [--build-ms 200] [--latency 5]`
// The write path as a workload (issue #9): N cycles of createInstance → wait SUCCEEDED → createDisk (a Cinder volume)
// → wait → attachDisk → wait → deleteInstance → wait SUCCEEDED, `--concurrency` at a time, each wait on the
// `operationUpdated` subscription (graphql-transport-ws). The documents are test/fixtures/mutations/*.graphql (each
// operation sent alone, see fixture(); test/gateway/mutations.test.ts runs them too, so they stay valid). Two modes one after the
// other against the same emulated cloud:
//   - `bus`: the cloud publishes its notifications to RabbitMQ (MOSAIC_AMQP_URL or 127.0.0.1:5672) and the gateway
//     consumes them, so operations finish on the action's .end notification; skipped when RabbitMQ does not answer;
//   - `polling`: no bus; the tracker's polling finishes them, and instanceEvents come from Nova's changes-since.
// Reported per mode: operations per second end to end (four operations per cycle), cycle latency p50/p99, the time
// from the mutation's answer to the SUCCEEDED message (create, attach and delete), and — with the bus — event latency
// p50/p99: from the notification's oslo timestamp, stamped by the emulator as it publishes (InstanceEvent.at, ms),
// to the instanceEvents message arriving at an administrator's subscription.
// Processes: this one (the load), a cloud child and one gateway child per mode — both roles of this same file
// (`--role cloud|gateway`), since they need what bench/cloud-process.ts and bench/gateway-process.ts do not set up:
// notifications, a build time (cloud.asyncDelayMs), and the gateway's mongodb and events config. MongoDB: MONGODB_URI
// or a FerretDB the cloud child starts (subgraphs/ferretdb/local-mongo.ts). Writes bench/results/<date>-operations.json.
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { spawn, type ChildProcess } from 'node:child_process';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { connect } from 'amqplib';
import { Kind, parse, print } from 'graphql';
import { BENCH_DIR, codeVersion, machine } from './report.ts';
import { issueToken } from './keystone-token.ts';
import { percentile } from './percentile.ts';
import { buildCloud } from '../subgraphs/seed/build-cloud.ts';
import type { CloudSize } from '../subgraphs/seed/types.ts';

const { values } = parseArgs({
  options: {
    role: { type: 'string', default: 'load' },
    count: { type: 'string', default: '40' },
    concurrency: { type: 'string', default: '8' },
    runtime: { type: 'string', default: 'mercurius' },
    'build-ms': { type: 'string', default: '200' },
    latency: { type: 'string', default: '5' },
    size: { type: 'string', default: 'small' },
    amqp: { type: 'string' },
    prefix: { type: 'string', default: '' },
    config: { type: 'string' },
  },
});

const AMQP_URL = values.amqp ?? process.env.MOSAIC_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

interface CloudChildInfo {
  keystoneUrl: string;
  legacyUrl: string;
  legacyApiKey: string;
  mongoUri: string | null;
  mongoUnavailable?: string;
  notifying: boolean;
}

// ---------------------------------------------------------------------------------------------- the cloud child
async function cloudRole(): Promise<void> {
  const { startDemoCloud, SERVICE_NAMES } = await import('../subgraphs/demo-cloud.ts');
  const { resolveMongo } = await import('../subgraphs/ferretdb/local-mongo.ts');
  const ports = Object.fromEntries(SERVICE_NAMES.map((n) => [n, 0]));
  const notify = values.amqp && values.amqp !== 'none' ? values.amqp : undefined;
  const cloud = await startDemoCloud({
    size: values.size as CloudSize,
    latencyMs: Number(values.latency),
    ports,
    asyncDelayMs: Number(values['build-ms']),
    ...(notify ? { notifyAmqpUrl: notify, notifyExchangePrefix: values.prefix } : {}),
  });
  const mongo = await resolveMongo({ dataDir: `${process.cwd()}/.data/bench-ops-ferretdb-${process.pid}` });
  const info: CloudChildInfo = {
    keystoneUrl: cloud.keystoneUrl,
    legacyUrl: cloud.legacyUrl,
    legacyApiKey: cloud.legacyApiKey,
    mongoUri: 'unavailable' in mongo ? null : mongo.uri,
    ...('unavailable' in mongo ? { mongoUnavailable: String(mongo.unavailable) } : {}),
    notifying: Boolean(notify),
  };
  process.stdout.write(`${JSON.stringify(info)}\n`);
  const shutdown = async () => {
    if (!('unavailable' in mongo)) await mongo.stop().catch(() => undefined);
    await cloud.close().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGTERM', shutdown);
  process.stdin.on('end', shutdown);
  process.stdin.resume();
}

// -------------------------------------------------------------------------------------------- the gateway child
async function gatewayRole(): Promise<void> {
  const { validateConfig } = await import('../core/config.ts');
  const { createServices } = await import('../server/services.ts');
  const { buildGateway } = await import('../server/app.ts');
  const config = validateConfig(JSON.parse(values.config ?? '{}'));
  const services = createServices(config);
  const app = await buildGateway(services, { runtime: config.server.runtime });
  await services.events.connected();
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  process.stdout.write(`${JSON.stringify({ url: `${address}/graphql`, mode: services.events.mode })}\n`);
  const shutdown = async () => {
    await app.close().catch(() => undefined);
    await services.close().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGTERM', shutdown);
  process.stdin.on('end', shutdown);
  process.stdin.resume();
}

// ------------------------------------------------------------------------------------------------- the load
/** Starts this file in another role and reads its first stdout line as JSON. */
async function child<T>(args: string[]): Promise<{ info: T; proc: ChildProcess }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(BENCH_DIR, 'operations.ts'), ...args], {
    cwd: path.join(BENCH_DIR, '..'),
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = readline.createInterface({ input: proc.stdout! });
  const info = await new Promise<T>((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`bench child ${args.join(' ')} exited (${code}) before it was ready`)));
    lines.once('line', (line) => resolve(JSON.parse(line) as T));
  });
  proc.removeAllListeners('exit');
  return { info, proc };
}

function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
    proc.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    proc.kill('SIGTERM');
  });
}

/** A workload document of test/fixtures/mutations/ and the operation in it to run. */
interface Doc {
  query: string;
  operationName: string;
}
const FIXTURES = path.join(BENCH_DIR, '..', 'test', 'fixtures', 'mutations');
/**
 * The named operation of a fixture file, sent alone: Mercurius caches one graphql-jit compilation per document text
 * for whichever operationName first reached the JIT threshold, and then runs it for every operationName of that
 * document (node_modules/mercurius/index.js, `cached.jit`), so a multi-operation document must not be sent whole.
 */
function fixture(file: string, operationName: string): Doc {
  const doc = parse(fs.readFileSync(path.join(FIXTURES, file), 'utf8'));
  const op = doc.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION && d.name?.value === operationName);
  if (!op) throw new Error(`${file} has no operation ${operationName}`);
  return { query: print(op), operationName };
}

async function post(url: string, token: string, doc: Doc, variables: Record<string, unknown>): Promise<any> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-auth-token': token },
    body: JSON.stringify({ ...doc, variables }),
  });
  const body = (await res.json()) as { data?: any; errors?: { message: string }[] };
  if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join('; '));
  return body.data;
}

/** Resolves with the time the operation's final status arrived over the subscription, and that status. */
function untilFinal(ws: Client, id: string): Promise<{ at: number; status: string }> {
  return new Promise((resolve, reject) => {
    let last = { at: 0, status: '' };
    ws.subscribe(
      { ...fixture('create-and-wait.graphql', 'OperationUpdated'), variables: { id } },
      {
        next: (v: any) => (last = { at: performance.now(), status: v.data?.operationUpdated?.status ?? 'ERROR' }),
        error: (e) => reject(e instanceof Error ? e : new Error(JSON.stringify(e))),
        complete: () => resolve(last),
      },
    );
  });
}

const CREATE = fixture('create-and-wait.graphql', 'CreateInstance');
const CREATE_VOLUME = fixture('attach-disk.graphql', 'CreateVolume');
const ATTACH = fixture('attach-disk.graphql', 'AttachDisk');
const DELETE = fixture('delete-instance.graphql', 'DeleteInstance');

interface ModeResult {
  mode: 'bus' | 'polling';
  gatewayMode: string;
  cycles: number;
  failed: number;
  wallMs: number;
  operationsPerSecond: number;
  cycleMs: { p50: number | null; p99: number | null };
  /** Mutation answered → SUCCEEDED message received. */
  createToSucceededMs: { p50: number | null; p99: number | null };
  /** attachDisk answered → SUCCEEDED (the volume made before it is not counted). */
  attachToSucceededMs: { p50: number | null; p99: number | null };
  deleteToSucceededMs: { p50: number | null; p99: number | null };
  /** Notification published (oslo timestamp) → instanceEvents message received; bus mode only. */
  eventLatencyMs: { p50: number | null; p99: number | null; events: number } | null;
}

const stats = (xs: number[]) => ({ p50: round(percentile(xs, 50)), p99: round(percentile(xs, 99)) });
const round = (x: number | null) => (x === null ? null : Math.round(x * 10) / 10);

async function runMode(
  mode: 'bus' | 'polling',
  cloud: CloudChildInfo,
  prefix: string,
  opts: { count: number; concurrency: number; runtime: string },
): Promise<ModeResult> {
  const config = {
    server: { port: 0, runtime: opts.runtime, graphiql: false },
    keystone: { url: cloud.keystoneUrl },
    legacy: { url: cloud.legacyUrl, apiKey: cloud.legacyApiKey },
    mongodb: { uri: cloud.mongoUri, database: `bench_ops_${mode}_${process.pid}` },
    rateLimit: { max: 0 },
    observability: { logLevel: 'warn' },
    events:
      mode === 'bus' ? { amqpUrl: AMQP_URL, exchanges: ['nova', 'cinder', 'region-controller'].map((e) => prefix + e) } : { pollIntervalMs: 1_000 },
  };
  const { info: gw, proc } = await child<{ url: string; mode: string }>(['--role', 'gateway', '--config', JSON.stringify(config)]);
  const clients: Client[] = [];
  try {
    const [alice, admin] = [await issueToken(cloud.keystoneUrl, 'alice', 'web'), await issueToken(cloud.keystoneUrl, 'admin', 'admin')];
    const wsUrl = gw.url.replace(/^http/, 'ws');
    const wsOf = (token: string) => {
      const c = createClient({ url: wsUrl, webSocketImpl: WebSocket, connectionParams: { 'x-auth-token': token }, retryAttempts: 0, lazy: true });
      clients.push(c);
      return c;
    };
    // The seed is deterministic: the cloud child built the same flavors and images.
    const model = buildCloud({ size: values.size as CloudSize });
    const flavorId = [...model.flavors].sort((a, b) => a.vcpus - b.vcpus)[0].id;
    const imageId = model.images.find((i) => i.status === 'active' && i.visibility === 'public')!.id;

    // Event latency: an administrator hears every instance event; ours are those of the instances this run made.
    const ours = new Set<string>();
    // Filtered once the run is over: an instance's first event can arrive before its create's answer names it.
    const heard: { instanceId: string; ms: number }[] = [];
    const eventsWs = wsOf(admin);
    const stopEvents = eventsWs.subscribe(
      { query: 'subscription { instanceEvents { instanceId at eventType } }' },
      {
        next: (v: any) => {
          const e = v.data?.instanceEvents;
          if (e && e.eventType !== 'changes-since') heard.push({ instanceId: e.instanceId, ms: Date.now() - Date.parse(e.at) });
        },
        error: () => {},
        complete: () => {},
      },
    );
    const ws = wsOf(alice);
    await new Promise((r) => setTimeout(r, 300));

    const cycleMs: number[] = [];
    const createMs: number[] = [];
    const attachMs: number[] = [];
    const deleteMs: number[] = [];
    let failed = 0;
    let next = 0;
    const started = performance.now();
    const worker = async () => {
      while (next < opts.count) {
        const i = next++;
        const t0 = performance.now();
        try {
          const key = `bench-ops-${process.pid}-${mode}-${i}`;
          const created = (await post(gw.url, alice, CREATE, { input: { idempotencyKey: key, name: `bench-ops-${i}`, flavorId, imageId } }))
            .createInstance.operation;
          const instanceGid: string = created.target.id;
          ours.add(Buffer.from(instanceGid, 'base64url').toString().split(':')[1]);
          const answered = performance.now();
          const built = await untilFinal(ws, created.id);
          if (built.status !== 'SUCCEEDED') throw new Error(`create ended ${built.status}`);
          createMs.push(built.at - answered);
          const volume = (
            await post(gw.url, alice, CREATE_VOLUME, {
              input: { idempotencyKey: `${key}-vol`, backend: 'CINDER', sizeGb: 1, name: `bench-ops-${i}` },
            })
          ).createDisk.operation;
          const made = await untilFinal(ws, volume.id);
          if (made.status !== 'SUCCEEDED') throw new Error(`volume create ended ${made.status}`);
          const diskId =
            volume.target?.id ??
            (await post(gw.url, alice, fixture('create-and-wait.graphql', 'OperationStatus'), { id: volume.id })).operation.target.id;
          const attaching = (await post(gw.url, alice, ATTACH, { input: { idempotencyKey: `${key}-att`, diskId, instanceId: instanceGid } }))
            .attachDisk.operation;
          const attachAnswered = performance.now();
          const attached = await untilFinal(ws, attaching.id);
          if (attached.status !== 'SUCCEEDED') throw new Error(`attach ended ${attached.status}`);
          attachMs.push(attached.at - attachAnswered);
          const deleting = (await post(gw.url, alice, DELETE, { input: { idempotencyKey: `${key}-del`, instanceId: instanceGid } })).deleteInstance
            .operation;
          const deleteAnswered = performance.now();
          const gone = await untilFinal(ws, deleting.id);
          if (gone.status !== 'SUCCEEDED') throw new Error(`delete ended ${gone.status}`);
          deleteMs.push(gone.at - deleteAnswered);
          cycleMs.push(performance.now() - t0);
        } catch (err) {
          failed++;
          process.stderr.write(`  cycle ${i}: ${(err as Error).message}\n`);
        }
      }
    };
    await Promise.all(Array.from({ length: opts.concurrency }, worker));
    const wallMs = performance.now() - started;
    await new Promise((r) => setTimeout(r, 300)); // the last deletions' events
    stopEvents();
    const eventLatencies = heard.filter((h) => ours.has(h.instanceId)).map((h) => h.ms);
    return {
      mode,
      gatewayMode: gw.mode,
      cycles: cycleMs.length,
      failed,
      wallMs: Math.round(wallMs),
      operationsPerSecond: round((4 * cycleMs.length) / (wallMs / 1000))!,
      cycleMs: stats(cycleMs),
      createToSucceededMs: stats(createMs),
      attachToSucceededMs: stats(attachMs),
      deleteToSucceededMs: stats(deleteMs),
      eventLatencyMs: mode === 'bus' ? { ...stats(eventLatencies), events: eventLatencies.length } : null,
    };
  } finally {
    for (const c of clients) await c.dispose();
    await stop(proc);
  }
}

async function loadRole(): Promise<void> {
  const opts = {
    count: Number(values.count),
    concurrency: Number(values.concurrency),
    runtime: values.runtime === 'apollo' ? 'apollo' : 'mercurius',
  };
  if (!(opts.count > 0) || !(opts.concurrency > 0)) throw new Error('--count and --concurrency must be positive');
  let bus = false;
  try {
    await (await connect(AMQP_URL, { timeout: 1_500 })).close();
    bus = true;
  } catch {
    process.stderr.write(`bench:operations: no RabbitMQ at ${AMQP_URL}: the bus mode is skipped\n`);
  }
  const prefix = `bench-ops-${process.pid}.`;
  const buildMs = Number(values['build-ms']);
  process.stderr.write(
    `bench:operations: ${opts.count} create→attach→delete cycles at concurrency ${opts.concurrency} on ${opts.runtime}, build ${buildMs} ms, latency ${values.latency} ms\n`,
  );
  const { info: cloud, proc } = await child<CloudChildInfo>([
    '--role',
    'cloud',
    '--size',
    String(values.size),
    '--latency',
    String(values.latency),
    '--build-ms',
    String(buildMs),
    '--amqp',
    bus ? AMQP_URL : 'none',
    '--prefix',
    prefix,
  ]);
  const results: ModeResult[] = [];
  try {
    if (!cloud.mongoUri) throw new Error(`bench:operations needs MongoDB: ${cloud.mongoUnavailable}`);
    for (const mode of bus ? (['bus', 'polling'] as const) : (['polling'] as const)) {
      process.stderr.write(`  ${mode}…\n`);
      results.push(await runMode(mode, cloud, prefix, opts));
    }
  } finally {
    await stop(proc);
  }
  const record = {
    kind: 'operations',
    at: new Date().toISOString(),
    code: codeVersion(),
    machine: machine(),
    options: { ...opts, size: values.size, latencyMs: Number(values.latency), buildMs, amqp: bus },
    results,
  };
  const file = path.join(BENCH_DIR, 'results', `${record.at.slice(0, 10)}-operations.json`);
  fs.writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
  const ms = (s: { p50: number | null; p99: number | null }) => `${s.p50 ?? '–'} / ${s.p99 ?? '–'}`;
  console.log(
    '| mode | cycles (failed) | operations/s | cycle ms p50 / p99 | create → SUCCEEDED ms | attach → SUCCEEDED ms | delete → SUCCEEDED ms | event latency ms p50 / p99 (events) |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    const ev = r.eventLatencyMs ? `${ms(r.eventLatencyMs)} (${r.eventLatencyMs.events})` : '–';
    console.log(
      `| ${r.mode} | ${r.cycles} (${r.failed}) | ${r.operationsPerSecond} | ${ms(r.cycleMs)} | ${ms(r.createToSucceededMs)} | ${ms(r.attachToSucceededMs)} | ${ms(r.deleteToSucceededMs)} | ${ev} |`,
    );
  }
  console.log(`\nwritten: ${path.relative(process.cwd(), file)}`);
}

const roles: Record<string, () => Promise<void>> = { cloud: cloudRole, gateway: gatewayRole, load: loadRole };
const role = roles[values.role!];
if (!role) throw new Error('--role is cloud, gateway or load');
await role();
