// A MongoDB for metering when the user has none: MONGODB_URI when set, otherwise a local FerretDB 1.24 (MongoDB
// wire protocol over SQLite, installed by scripts/install-ferretdb.sh) started on a free loopback port.
// Flags: https://docs.ferretdb.io/v1.24/configuration/flags/ — `--debug-addr=-` turns off its HTTP debug
// listener (a fixed port, 8088, that a second instance could not bind), `--state-dir` keeps its state file out
// of the working directory.
// The child runs under a small sh wrapper whose stdin is a pipe from this process: when this process dies, even
// by SIGKILL, the pipe closes and the wrapper stops FerretDB, so the database never outlives its parent.
// It lives with the emulated services because, like them, it stands in for what production supplies (the user's
// own MongoDB); the demo (server/metering-setup.ts), the tests and the benchmark start it from here.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEFAULT_DATA_DIR = join(REPO, '.data', 'ferretdb');
const INSTALL_HINT = 'set MONGODB_URI to a MongoDB server, or install Go (https://go.dev/dl/) and run scripts/install-ferretdb.sh';

export interface LocalMongo {
  uri: string;
  pid: number;
  logFile: string;
  stop(): Promise<void>;
}
export interface LocalMongoOptions {
  dataDir?: string;
  port?: number;
  binary?: string;
  logFile?: string;
  timeoutMs?: number;
}

/** The ferretdb binary: PATH, $GOBIN, $(go env GOPATH)/bin, ~/go/bin — first one that exists. */
export function findFerretdb(): string | null {
  const candidates: string[] = [];
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir) candidates.push(join(dir, 'ferretdb'));
  if (process.env.GOBIN) candidates.push(join(process.env.GOBIN, 'ferretdb'));
  try {
    const gopath = execFileSync('go', ['env', 'GOPATH'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).trim();
    for (const p of gopath.split(':')) if (p) candidates.push(join(p, 'bin', 'ferretdb'));
  } catch {
    /* no Go: fine, look in the usual place */
  }
  candidates.push(join(homedir(), 'go', 'bin', 'ferretdb'));
  return candidates.find((c) => existsSync(c)) ?? null;
}

/** A port that was free a moment ago: FerretDB needs a concrete port, it cannot report one it picked. */
function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => ok(port));
    });
  });
}

// $0 is the binary; the rest are its flags. Prints FerretDB's pid (FerretDB's own output goes to the log), forwards
// TERM/INT, and stops FerretDB when its stdin (the parent's pipe, kept on fd 3 because background jobs get
// /dev/null) reaches EOF.
const WRAPPER = [
  'exec 3<&0',
  '"$0" "$@" </dev/null >&2 3<&- &',
  'child=$!',
  'echo "$child"',
  'trap \'kill -TERM "$child" 2>/dev/null\' TERM INT',
  '( while read -r _; do :; done <&3; kill -TERM "$child" 2>/dev/null ) &',
  'watch=$!',
  'while kill -0 "$child" 2>/dev/null; do wait "$child"; rc=$?; done',
  'kill "$watch" 2>/dev/null',
  'exit "${rc:-0}"',
].join('\n');

const live = new Set<number>();
let exitHookInstalled = false;
function killAllOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pid of live)
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
  });
}

async function pingable(uri: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`ferretdb exited (${child.exitCode ?? child.signalCode}) before answering`);
    const client = new MongoClient(uri, { serverSelectionTimeoutMS: 500, connectTimeoutMS: 500 });
    try {
      await client.db('admin').command({ ping: 1 });
      return;
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      await client.close().catch(() => {});
    }
  }
  throw new Error(`ferretdb did not answer ping within ${timeoutMs} ms: ${(lastError as Error)?.message ?? 'no answer'}`);
}

/** Starts FerretDB on 127.0.0.1 and resolves once a driver `ping` succeeds. Throws when it cannot. */
export async function startLocalMongo({
  dataDir = DEFAULT_DATA_DIR,
  port = 0,
  binary,
  logFile,
  timeoutMs = 20_000,
}: LocalMongoOptions = {}): Promise<LocalMongo> {
  const bin = binary ?? findFerretdb();
  if (!bin || !existsSync(bin)) throw new Error(`ferretdb is not installed${bin ? ` at ${bin}` : ''}: ${INSTALL_HINT}`);
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  const log = logFile ?? join(dirname(dir), 'ferretdb.log');
  mkdirSync(dirname(log), { recursive: true });

  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const listenPort = port || (await freePort());
    const fd = openSync(log, 'a');
    const child = spawn(
      'sh',
      [
        '-c',
        WRAPPER,
        bin,
        '--handler=sqlite',
        // synchronous=NORMAL: WAL stays consistent on a crash, commits skip the fsync (test and demo data).
        `--sqlite-url=file:${dir}/?_pragma=synchronous(normal)`,
        `--listen-addr=127.0.0.1:${listenPort}`,
        '--telemetry=disable',
        '--debug-addr=-',
        `--state-dir=${dir}`,
        '--log-level=warn',
      ],
      { stdio: ['pipe', 'pipe', fd] },
    );
    closeSync(fd);
    const pid = await new Promise<number>((ok, fail) => {
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const line = out.split('\n')[0];
        if (out.includes('\n')) ok(Number(line));
      });
      child.once('exit', (code) => fail(new Error(`ferretdb wrapper exited (${code})`)));
      child.once('error', fail);
    });
    live.add(pid);
    killAllOnExit();
    const uri = `mongodb://127.0.0.1:${listenPort}/?directConnection=true`;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          /* gone */
        }
        const timer = setTimeout(() => {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* gone */
          }
        }, 10_000);
        await exited;
        clearTimeout(timer);
      }
      child.stdin?.destroy();
      live.delete(pid);
    };
    try {
      await pingable(uri, child, timeoutMs);
      // Do not keep the parent's event loop alive for the child's sake.
      child.unref();
      (child.stdin as unknown as { unref?: () => void })?.unref?.();
      (child.stdout as unknown as { unref?: () => void })?.unref?.();
      return { uri, pid, logFile: log, stop };
    } catch (err) {
      lastError = err;
      await stop();
      if (port) break; // a fixed port that is taken will stay taken
    }
  }
  throw new Error(`could not start ferretdb (log: ${log}): ${(lastError as Error).message}`);
}

export type ResolvedMongo =
  { uri: string; source: 'env'; stop(): Promise<void> } | { uri: string; source: 'ferretdb'; stop(): Promise<void> } | { unavailable: string };

/**
 * The MongoDB to use: MONGODB_URI when set, else a local FerretDB, else `{unavailable: reason}` — never throws
 * for a missing binary or a FerretDB that would not start.
 */
export async function resolveMongo(options: LocalMongoOptions = {}): Promise<ResolvedMongo> {
  const env = process.env.MONGODB_URI;
  if (env) return { uri: env, source: 'env', stop: async () => {} };
  if (!options.binary && !findFerretdb()) return { unavailable: `no MongoDB: MONGODB_URI is not set and ferretdb is not installed; ${INSTALL_HINT}` };
  try {
    const local = await startLocalMongo(options);
    return { uri: local.uri, source: 'ferretdb', stop: local.stop };
  } catch (err) {
    return { unavailable: `no MongoDB: MONGODB_URI is not set and the local FerretDB did not start (${(err as Error).message}); ${INSTALL_HINT}` };
  }
}
