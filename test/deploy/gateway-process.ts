// The gateway as its own process, as a container runs it: spawned with a config file and a scrubbed environment,
// its URL read from the line the CLI prints, its output kept for assertions, its exit awaited. Used by the
// build and drain suites; stop() kills it (SIGKILL) if a test left it running.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { DemoCloud } from '../helpers/cloud.ts';

export interface GatewayProcess {
  child: ChildProcess;
  /** The GraphQL URL, e.g. http://127.0.0.1:41234/graphql */
  url: string;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** POSTs a GraphQL query with a token. */
  query(query: string, token: string): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
}

/** A config file for the test cloud (the test's own options merged in), written into `dir`. */
export function writeConfig(dir: string, cloud: DemoCloud, extra: Record<string, Record<string, unknown>> = {}): string {
  const file = join(dir, `mosaic-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.config.yaml`);
  const config = {
    ...extra,
    server: { host: '127.0.0.1', port: 0, graphiql: false, ...extra.server },
    keystone: { url: cloud.keystoneUrl, ...extra.keystone },
    legacy: { url: cloud.legacyUrl, apiKey: cloud.legacyApiKey, ...extra.legacy },
  };
  writeFileSync(file, stringify(config));
  return file;
}

/** The parent's environment without Mosaic's own variables, so a developer's MOSAIC_* or MONGODB_URI cannot leak in. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MOSAIC_') && k !== 'MONGODB_URI'));
  return { ...env, ...extra };
}

/** Spawns `node ...args` in `cwd` and waits until it prints its URL (or exits first, which fails with its output). */
export async function startGatewayProcess(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<GatewayProcess> {
  const child = spawn(process.execPath, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (d) => (text += d));
  child.stderr!.on('data', (d) => (text += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const onData = () => {
      const m = / on (http:\/\/\S+\/graphql)/.exec(text);
      if (m) resolve(m[1]);
    };
    child.stdout!.on('data', onData);
    void exited.then((code) => reject(new Error(`the gateway exited (${code}) before listening:\n${text}`)));
  });
  return {
    child,
    url,
    output: () => text,
    exited,
    async query(query, token) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-auth-token': token },
        body: JSON.stringify({ query }),
      });
      return { status: res.status, body: await res.json() };
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}
