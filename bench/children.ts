// Starting and stopping the bench's child processes from the parent: the cloud (bench/cloud-process.ts, its
// URLs read from its first stdout line) and one gateway per variant (bench/gateway-process.ts, over IPC).
// The cloud runs TypeScript through tsx's loader, like the parent. A gateway runs as deployed — plain node on
// the compiled build (compileGateways(): deploy/build.mjs --with-bench into .data/bench-dist) — when given
// `compiled`, else through tsx too (`npm run bench -- --tsx`, and the attack and soak modes). Each child is
// stopped by its own pid.
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import readline from 'node:readline';
import type { CloudInfo } from './cloud-process.ts';
import type { ChildMessage, GatewayChildOptions } from './gateway-process.ts';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.join(BENCH_DIR, '..');
const TSX = ['--import', 'tsx'];
/**
 * The Dockerfile runtime stage's ENV that changes how node runs the gateway: the libraries' production paths, and
 * V8's young generation kept at 16 MB semi-spaces where a memory limit would shrink it (Dockerfile).
 */
export const IMAGE_ENV = { NODE_ENV: 'production', NODE_OPTIONS: '--max-semi-space-size=16' } as const;

export interface Sample {
  cpuUs: number;
  rss: number;
  peakRss: number;
  inFlight: number;
  requests: number;
  /** Upstream response body bytes the gateway has received since it started (background polls left out). */
  upstreamBytes: number;
}

/** Ends a child we started: SIGTERM, then SIGKILL if it has not gone after a few seconds. */
function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Node flags of a child: tsx's loader, and a larger heap when asked (the `large` cloud outgrows the default). */
const nodeFlags = (heapMb?: number | null) => [...TSX, ...(heapMb ? [`--max-old-space-size=${heapMb}`] : [])];

export async function startCloudChild(
  size: string,
  latencyMs: number,
  heapMb?: number | null,
): Promise<{ info: CloudInfo; pid: number; stop(): Promise<void> }> {
  const child = spawn(
    process.execPath,
    [...nodeFlags(heapMb), path.join(BENCH_DIR, 'cloud-process.ts'), '--size', size, '--latency', String(latencyMs)],
    {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const lines = readline.createInterface({ input: child.stdout! });
  const info = await new Promise<CloudInfo>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the cloud process exited (${code}) before it was ready`)));
    lines.once('line', (line) => resolve(JSON.parse(line) as CloudInfo));
  });
  child.removeAllListeners('exit');
  lines.on('line', (line) => process.stderr.write(`[cloud] ${line}\n`));
  return { info, pid: child.pid!, stop: () => stopChild(child) };
}

export interface GatewayChild {
  url: string;
  pid: number;
  /** CPU, RSS, peak RSS since the last reset, requests; `resetPeak` starts a new peak window. */
  sample(resetPeak?: boolean): Promise<Sample>;
  stop(): Promise<void>;
}

/** Compiles the gateway and bench/gateway-process.ts to .data/bench-dist (about 10 s); returns that directory. */
export function compileGateways(): string {
  const out = path.join(ROOT, '.data', 'bench-dist');
  const built = spawnSync(process.execPath, [path.join(ROOT, 'deploy', 'build.mjs'), out, '--with-bench'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (built.status !== 0) throw new Error(`compiling the gateways failed (exit ${built.status ?? built.signal})`);
  return out;
}

export async function startGatewayChild(
  options: GatewayChildOptions,
  { heapMb, compiled, execPath }: { heapMb?: number | null; compiled?: string | null; execPath?: string } = {},
): Promise<GatewayChild> {
  const script = compiled ? path.join(compiled, 'bench', 'gateway-process.js') : path.join(BENCH_DIR, 'gateway-process.ts');
  const child = fork(script, [JSON.stringify(options)], {
    cwd: ROOT,
    // In the deployment's memory limit when asked (bench/memory-cgroup.ts): a wrapper that moves into a cgroup first.
    execPath: execPath ?? process.execPath,
    // MOSAIC_BENCH_GATEWAY_FLAGS: extra node flags for the gateway child only (e.g. a heap limit, to price it).
    execArgv: [
      ...(compiled ? (heapMb ? [`--max-old-space-size=${heapMb}`] : []) : nodeFlags(heapMb)),
      ...(process.env.MOSAIC_BENCH_GATEWAY_FLAGS ?? '').split(' ').filter(Boolean),
    ],
    // As the image runs it (the Dockerfile's runtime ENV, checked equal by test/deploy/manifests.test.ts).
    env: compiled ? { ...process.env, ...IMAGE_ENV } : process.env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let nextId = 1;
  const pending = new Map<number, { resolve: (s: Sample) => void; reject: (e: Error) => void }>();
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the ${options.variant} gateway exited (${code}) before it was ready`)));
    child.on('message', (m: ChildMessage) => {
      if (m.type === 'ready') resolve(m.url);
      else if (m.type === 'error') reject(new Error(`the ${options.variant} gateway failed to start: ${m.message}`));
      else if (m.type === 'sample') {
        pending.get(m.id)?.resolve({
          cpuUs: m.cpuUserUs + m.cpuSystemUs,
          rss: m.rss,
          peakRss: m.peakRss,
          inFlight: m.inFlight,
          requests: m.requests,
          upstreamBytes: m.upstreamBytes,
        });
        pending.delete(m.id);
      }
    });
  });
  child.removeAllListeners('exit');
  // A gateway that dies under load (out of memory) fails the questions still waiting for it.
  let exited: string | null = null;
  child.once('exit', (code, signal) => {
    exited = `the ${options.variant} gateway exited (${signal ?? code}) under load`;
    for (const p of pending.values()) p.reject(new Error(exited));
    pending.clear();
  });
  return {
    url,
    pid: child.pid!,
    sample: (resetPeak = false) =>
      new Promise<Sample>((resolve, reject) => {
        if (exited) return reject(new Error(exited));
        const id = nextId++;
        // A gateway too busy to answer IPC for a minute is as good as gone.
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`the ${options.variant} gateway did not answer for 60 s`));
        }, 60_000);
        pending.set(id, { resolve: (s) => (clearTimeout(timer), resolve(s)), reject: (e) => (clearTimeout(timer), reject(e)) });
        child.send({ type: 'sample', id, resetPeak });
      }),
    stop: () => stopChild(child),
  };
}
