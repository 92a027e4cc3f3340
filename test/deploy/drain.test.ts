// Graceful drain (server/serve.ts): the gateway runs as its own process, as in a pod, against a cloud whose
// upstreams answer slowly so that a query is still in flight when SIGTERM arrives. The signal must take the
// gateway out of rotation (/readyz 503, or the listener closed), let that query finish with its data and exit 0;
// exit 1 once server.drainMs has passed with a request still running; and exit at once on a second signal.
// NODE_ENV=production, as in the image: Apollo Server installs its own signal handlers unless told not to.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { issueToken, startTestCloud, statsOf, type DemoCloud } from '../helpers/cloud.ts';
import { RUNTIMES, startTestGateway } from '../helpers/gateway.ts';
import { markDraining } from '../../server/readiness.ts';
import { cleanEnv, startGatewayProcess, writeConfig, type GatewayProcess } from './gateway-process.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Every upstream answer takes this long, so a query spends at least two of them in flight (token, then zones). */
const LATENCY_MS = 500;
const ZONES = '{ zones { name } }';

let cloud: DemoCloud;
let admin: string;
let dir: string;
let gateway: GatewayProcess | undefined;
beforeAll(async () => {
  cloud = await startTestCloud({ latencyMs: LATENCY_MS });
  admin = (await issueToken(cloud, 'admin')).token;
  dir = mkdtempSync(join(tmpdir(), 'mosaic-drain-'));
});
afterEach(async () => {
  await gateway?.stop();
  gateway = undefined;
  cloud.setFaults('legacy', { slowMs: 0 });
  cloud.resetStats();
});
afterAll(async () => {
  await cloud?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function start(runtime: string, server: Record<string, unknown> = {}): Promise<GatewayProcess> {
  const config = writeConfig(dir, cloud, { server: { runtime, ...server } });
  gateway = await startGatewayProcess(['bin/mosaic.js', 'serve', '--config', config], { cwd: ROOT, env: cleanEnv({ NODE_ENV: 'production' }) });
  return gateway;
}

/** Sends the zones query; `started` resolves once the region controller has received the gateway's call for it. */
function queryInFlight(gw: GatewayProcess) {
  const answer = gw.query(ZONES, admin);
  answer.catch(() => {}); // awaited by the test later; meanwhile a rejection is not unhandled
  const started = (async () => {
    while (!(await statsOf(cloud, 'legacy')).byRoute['GET /zones']) await new Promise((r) => setTimeout(r, 10));
  })();
  return { answer, started };
}

/** The HTTP status of a request, or 'refused' when no connection could be made (the listener is closed). */
async function statusOf(url: string, init?: RequestInit): Promise<number | 'refused'> {
  try {
    return (await fetch(url, init)).status;
  } catch {
    return 'refused';
  }
}

const postStatusOf = (url: string) =>
  statusOf(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-auth-token': admin }, body: JSON.stringify({ query: ZONES }) });

describe.each(RUNTIMES)('graceful drain on %s', (runtime) => {
  it('lets a request in flight at SIGTERM finish with its data, takes the gateway out of rotation, and exits 0', async () => {
    const gw = await start(runtime);
    const base = gw.url.replace(/\/graphql$/, '');
    const inFlight = queryInFlight(gw);
    await inFlight.started;
    gw.child.kill('SIGTERM');
    await expect.poll(() => gw.output()).toContain('draining');
    expect(['refused', 503]).toContain(await statusOf(`${base}/readyz`));
    expect(['refused', 503]).toContain(await postStatusOf(gw.url));
    const { status, body } = await inFlight.answer;
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data.zones.map((z: { name: string }) => z.name).sort()).toEqual(cloud.cloud.zones.map((z) => z.name).sort());
    expect(await gw.exited).toBe(0);
    expect(gw.output()).toContain('stopped');
  });

  it('answers 503 on /readyz once draining, whatever its upstreams say', async () => {
    const gw = await startTestGateway(cloud, runtime);
    try {
      const readyz = gw.url.replace(/\/graphql$/, '/readyz');
      expect(await statusOf(readyz)).toBe(200);
      markDraining(gw.services);
      const res = await fetch(readyz);
      expect(res.status).toBe(503);
      expect((await res.json()).checks.draining).toMatchObject({ ok: false });
    } finally {
      await gw.close();
    }
  });
});

describe('a drain that cannot finish', () => {
  it('exits 1 once server.drainMs has passed with a request still running', async () => {
    cloud.setFaults('legacy', { slowMs: 30_000 });
    const gw = await start('mercurius', { drainMs: 200 });
    const inFlight = queryInFlight(gw);
    await inFlight.started;
    gw.child.kill('SIGTERM');
    expect(await gw.exited).toBe(1);
    expect(gw.output()).toContain('server.drainMs');
    await expect(inFlight.answer).rejects.toThrow();
  });

  it('exits 1 at once on a second signal', async () => {
    cloud.setFaults('legacy', { slowMs: 30_000 });
    const gw = await start('apollo');
    const inFlight = queryInFlight(gw);
    await inFlight.started;
    gw.child.kill('SIGTERM');
    await expect.poll(() => gw.output()).toContain('draining');
    gw.child.kill('SIGINT');
    expect(await gw.exited).toBe(1);
    expect(gw.output()).toContain('exiting now');
    await expect(inFlight.answer).rejects.toThrow();
  });
});
