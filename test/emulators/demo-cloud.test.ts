// Contract tests of the demo cloud as the benchmark and the other suites drive it: startDemoCloud's URLs and
// catalog, the /_emulator control endpoints on every service, each fault's effect on a real request, and the
// `npm run cloud` CLI as a real child process.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestCloud, statsOf, type DemoCloud } from '../helpers/cloud.ts';
import { SERVICE_NAMES } from '../../subgraphs/demo-cloud.ts';
import { NO_FAULTS, type Faults } from '../../subgraphs/emulator/emulator-server.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSX_CLI = fileURLToPath(new URL('../../node_modules/tsx/dist/cli.mjs', import.meta.url));

let demo: DemoCloud;
beforeAll(async () => {
  demo = await startTestCloud();
});
afterAll(() => demo?.close());
afterEach(async () => {
  await putFaults(NO_FAULTS);
  await fetch(`${demo.legacyUrl}/_emulator/reset`, { method: 'POST' });
});

const putFaults = async (faults: Partial<Faults>): Promise<Faults> => {
  const res = await fetch(`${demo.legacyUrl}/_emulator/faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(faults),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Faults;
};
/** A real request through the legacy region controller, timed. */
const zones = async (signal?: AbortSignal) => {
  const started = performance.now();
  const res = await fetch(`${demo.legacyUrl}/zones`, { headers: { 'x-api-key': demo.legacyApiKey }, signal });
  const text = await res.text();
  return { status: res.status, text, contentType: res.headers.get('content-type'), ms: performance.now() - started };
};

describe('startDemoCloud', () => {
  it('returns a URL per service, the Keystone v3 root, the legacy URL and key, and fills the catalog', async () => {
    const ports = new Set<string>();
    for (const name of SERVICE_NAMES) {
      expect(demo.urls[name]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      ports.add(new URL(demo.urls[name]).port);
    }
    expect(ports.size).toBe(SERVICE_NAMES.length);
    expect(demo.keystoneUrl).toBe(`${demo.urls.keystone}/v3`);
    expect(demo.legacyUrl).toBe(demo.urls.legacy);
    expect(demo.legacyApiKey).toBe(demo.cloud.legacyApiKey);
    const compute = demo.cloud.catalog.filter((e) => e.serviceType === 'compute');
    expect(compute.map((e) => e.interface).sort()).toEqual(['admin', 'internal', 'public']);
    expect(compute[0]).toMatchObject({ url: `${demo.urls.nova}/v2.1`, region: demo.cloud.region });
    expect(demo.cloud.catalog.find((e) => e.serviceType === 'identity')?.url).toBe(demo.keystoneUrl);
  });

  it('answers /_emulator/stats on every service', async () => {
    for (const name of SERVICE_NAMES) {
      const stats = await statsOf(demo, name);
      expect(stats, name).toMatchObject({ total: expect.any(Number), byRoute: expect.any(Object), requests: expect.any(Array) });
    }
  });

  it('applies its latencyMs option to every service', async () => {
    const slow = await startTestCloud({ latencyMs: 40 });
    try {
      await Promise.all(
        SERVICE_NAMES.map(async (name) => {
          const started = performance.now();
          await (await fetch(`${slow.urls[name]}/no-such-path`)).arrayBuffer();
          expect(performance.now() - started, name).toBeGreaterThanOrEqual(38);
        }),
      );
    } finally {
      await slow.close();
    }
  });
});

describe('emulator control endpoints', () => {
  it('counts real requests by route, and never the control endpoints', async () => {
    await zones();
    await zones();
    await fetch(`${demo.legacyUrl}/nowhere?x=1`);
    for (let i = 0; i < 3; i++) {
      await statsOf(demo, 'legacy');
      await putFaults({});
    }
    const stats = await statsOf(demo, 'legacy');
    expect(stats.total).toBe(3);
    expect(stats.byRoute).toEqual({ 'GET /zones': 2, 'GET (unmatched)': 1 });
    expect(stats.requests).toEqual(['GET /zones', 'GET /zones', 'GET /nowhere?x=1']);
  });

  it('zeroes the counters on reset but keeps the faults', async () => {
    await putFaults({ latencyMs: 40 });
    await zones();
    const reset = await fetch(`${demo.legacyUrl}/_emulator/reset`, { method: 'POST' });
    expect(reset.status).toBe(204);
    expect(await statsOf(demo, 'legacy')).toEqual({ total: 0, byRoute: {}, requests: [] });
    expect((await putFaults({})).latencyMs).toBe(40);
    expect((await zones()).ms).toBeGreaterThanOrEqual(38);
    expect((await statsOf(demo, 'legacy')).total).toBe(1);
  });

  it('merges PUT /_emulator/faults into the current faults, ignoring unknown keys and wrong types', async () => {
    expect(await putFaults({ latencyMs: 5 })).toEqual({ ...NO_FAULTS, latencyMs: 5 });
    expect(await putFaults({ jitterMs: 3, latencyMs: '9', bogus: 1 } as unknown as Partial<Faults>)).toEqual({
      ...NO_FAULTS,
      latencyMs: 5,
      jitterMs: 3,
    });
  });
});

describe('fault injection on a real request', () => {
  it('latencyMs delays every response', async () => {
    await putFaults({ latencyMs: 50 });
    const r = await zones();
    expect(r.status).toBe(200);
    expect(r.ms).toBeGreaterThanOrEqual(48);
  });

  it('jitterMs adds a varying delay below jitterMs', async () => {
    await putFaults({ jitterMs: 100 });
    const times = (await Promise.all(Array.from({ length: 8 }, () => zones()))).map((r) => r.ms);
    expect(Math.max(...times)).toBeLessThan(100 + 60);
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThan(5);
  });

  it("errorRate 1 answers with the service's own failure (nginx 502 for the legacy service)", async () => {
    await putFaults({ errorRate: 1 });
    const r = await zones();
    expect(r.status).toBe(502);
    expect(r.contentType).toMatch(/^text\/html/);
    expect(r.text).toContain('<title>502 Bad Gateway</title>');
  });

  it('down resets the connection without a response, and the service recovers when lifted', async () => {
    await putFaults({ down: true });
    await expect(zones()).rejects.toThrow();
    await putFaults({ down: false });
    expect((await zones()).status).toBe(200);
  });

  it('malformedRate 1 answers 200 with a truncated, unparseable JSON body', async () => {
    const whole = (await zones()).text;
    await putFaults({ malformedRate: 1 });
    const r = await zones();
    expect(r.status).toBe(200);
    expect(r.contentType).toMatch(/^application\/json/);
    expect(() => JSON.parse(r.text)).toThrow();
    expect(whole.startsWith(r.text)).toBe(true);
    expect(r.text.length).toBeLessThan(whole.length);
  });

  it('slowMs pushes a request past a client timeout', async () => {
    await putFaults({ slowMs: 300 });
    const started = performance.now();
    await expect(zones(AbortSignal.timeout(60))).rejects.toThrow(/abort|timeout/i);
    expect(performance.now() - started).toBeLessThan(250);
    expect((await zones()).ms).toBeGreaterThanOrEqual(298);
  });
});

describe('npm run cloud', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  /** `tsx subgraphs/cli.ts …` as `npm run cloud --` runs it; resolves with the output once `until` matches. */
  const run = (args: string[], until?: RegExp) => {
    const proc = spawn(process.execPath, [TSX_CLI, 'subgraphs/cli.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
    const ready = new Promise<string>((resolve, reject) => {
      proc.stdout!.on('data', (c: Buffer) => {
        stdout += c.toString();
        if (until?.test(stdout)) resolve(stdout);
      });
      proc.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
      void exited.then((code) => reject(new Error(`cli exited with ${code} before it was ready:\n${stdout}\n${stderr}`)));
    });
    return { proc, ready, exited, output: () => ({ stdout, stderr }) };
  };

  it('starts the cloud on free ports, prints the Keystone URL and the legacy key, serves, and stops on SIGTERM', async () => {
    const cli = run(['--size', 'tiny', '--port-base', '0', '--latency', '1'], /^Users: .*$/m);
    child = cli.proc;
    const out = await cli.ready;
    const keystone = /^Keystone: (http:\/\/127\.0\.0\.1:\d+\/v3)$/m.exec(out)?.[1];
    const legacy = /^Legacy: (http:\/\/\S+)$/m.exec(out)?.[1];
    const key = /^Legacy API key: (\S+)$/m.exec(out)?.[1];
    expect(keystone).toBeDefined();
    expect(out).toMatch(/^Users: admin\/admin .*alice\/alice \(web\)/m);
    for (const name of ['Nova', 'Cinder', 'Glance', 'Neutron']) expect(out).toMatch(new RegExp(`^${name}: http://127\\.0\\.0\\.1:\\d+`, 'm'));

    const zonesRes = await fetch(`${legacy}/zones`, { headers: { 'x-api-key': key! } });
    expect(((await zonesRes.json()) as any).data.total).toBe(2);
    const stats = await fetch(`${keystone!.replace(/\/v3$/, '')}/_emulator/stats`);
    expect(stats.status).toBe(200);

    cli.proc.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    await expect(fetch(`${legacy}/zones`)).rejects.toThrow();
  });

  it('exits with code 2 and a clear message for an unknown size', async () => {
    const cli = run(['--size', 'huge', '--port-base', '0']);
    cli.ready.catch(() => {});
    expect(await cli.exited).toBe(2);
    expect(cli.output().stderr).toMatch(/unknown --size "huge" \(expected one of tiny, small, medium, large\)/);
  });
});
