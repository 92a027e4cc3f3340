// What the datasources publish on the core/diagnostics.ts channels, which logs, metrics and traces subscribe to:
// one upstreamStart/upstreamEnd pair per call an emulator counted (route, status, bytes, duration, the error),
// batchStart/batchEnd around each loader batch, memo and in-flight cache lookups, and headers a subscriber adds
// reaching the upstream. Asserted against the emulated cloud's own request counters and a loopback server.
import diagnostics from 'node:diagnostics_channel';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { issueToken, startTestCloud, statsOf, type DemoCloud } from '../helpers/cloud.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { validateConfig } from '../../core/config.ts';
import type { BatchMessage, CacheMessage, UpstreamCallMessage } from '../../core/diagnostics.ts';
import { MosaicError } from '../../core/errors.ts';
import { BatchScheduler, UpstreamClient, createHttpStack, type HttpStack } from '../../datasources/index.ts';
import { SERVICE_NAMES } from '../../subgraphs/demo-cloud.ts';

const queryText = (name: string) =>
  readFileSync(new URL(`../fixtures/queries/${name}.graphql`, import.meta.url), 'utf8').replace(/^\s*(metrics|cpuUtilAvg)\(.*\n/gm, '');

/** Everything published on the channels while subscribed. */
const seen = {
  starts: [] as UpstreamCallMessage[],
  ends: [] as UpstreamCallMessage[],
  batchStarts: [] as BatchMessage[],
  batchEnds: [] as BatchMessage[],
  caches: [] as CacheMessage[],
};
const SUBSCRIPTIONS: [string, (m: unknown) => void][] = [
  ['mosaic.upstream.start', (m) => seen.starts.push(m as UpstreamCallMessage)],
  ['mosaic.upstream.end', (m) => seen.ends.push(m as UpstreamCallMessage)],
  ['mosaic.batch.start', (m) => seen.batchStarts.push(m as BatchMessage)],
  ['mosaic.batch.end', (m) => seen.batchEnds.push(m as BatchMessage)],
  ['mosaic.cache', (m) => seen.caches.push({ ...(m as CacheMessage) })],
];
const forget = () => Object.values(seen).forEach((list) => (list.length = 0));

let cloud: DemoCloud;
let tokens: { admin: string; alice: string };
let gw: TestGateway;
beforeAll(async () => {
  cloud = await startTestCloud();
  const [admin, alice] = await Promise.all([issueToken(cloud, 'admin'), issueToken(cloud, 'alice')]);
  tokens = { admin: admin.token, alice: alice.token };
  // No service account: its background revocation polls would be counted among the query's calls.
  gw = await startTestGateway(cloud, 'mercurius', { upstreams: { nova: { retries: 0 } }, keystone: { serviceUser: '' } });
});
afterAll(async () => {
  await gw?.close();
  await cloud?.close();
});
beforeEach(() => {
  forget();
  for (const [name, fn] of SUBSCRIPTIONS) diagnostics.subscribe(name, fn);
});
afterEach(() => {
  for (const [name, fn] of SUBSCRIPTIONS) diagnostics.unsubscribe(name, fn);
  for (const s of SERVICE_NAMES) cloud.setFaults(s, { errorRate: 0 });
});

/** Counts of each distinct entry. */
const tally = (entries: string[]) => entries.reduce<Record<string, number>>((acc, e) => ((acc[e] = (acc[e] ?? 0) + 1), acc), {});

describe('upstream calls', () => {
  it.each([
    ['fleet-tree', 'admin'],
    ['my-instances', 'alice'],
  ] as const)('publishes one start/end pair per call the emulators counted on %s, routed like their route patterns', async (workload, user) => {
    cloud.resetStats();
    const { body } = await gw.query(queryText(workload), {}, tokens[user]);
    expect(body.errors).toBeUndefined();
    const stats = await Promise.all(SERVICE_NAMES.map((s) => statsOf(cloud, s)));

    expect(seen.ends).toHaveLength(seen.starts.length);
    for (const start of seen.starts) expect(seen.ends).toContain(start);
    SERVICE_NAMES.forEach((service, i) => {
      const ours = seen.ends.filter((m) => m.service === service);
      expect(ours.length, service).toBe(stats[i].total);
      // The emulators name routes `/v3/:project_id/volumes/detail`; ours templates ids the same way, as `{id}`.
      const theirs = Object.fromEntries(Object.entries(stats[i].byRoute).map(([route, n]) => [route.replace(/:\w+/g, '{id}'), n]));
      expect(tally(ours.map((m) => `${m.method} ${m.route}`)), service).toEqual(theirs);
      for (const m of ours) {
        expect(m.url.startsWith(cloud.urls[service]), m.url).toBe(true);
        // Cinder answers its version document (GET /, read once at first use) with 300 Multiple Choices.
        expect(m.status).toBe(service === 'cinder' && m.route === '/' ? 300 : 200);
        expect(m.error).toBeUndefined();
        expect(m.bytes).toBeGreaterThan(0);
        expect(m.durationMs).toBeGreaterThanOrEqual(0);
        expect(m.headers.accept).toBe('application/json');
      }
    });
    const routes = seen.ends.map((m) => `${m.service} ${m.route}`);
    expect(routes).toContain('nova /v2.1/servers/detail');
    if (workload === 'fleet-tree') {
      expect(routes).toContain('cinder /v3/{id}/volumes/detail');
      expect(routes).toContain('legacy /zones/{id}/hosts');
    }
  });

  it('ends a failed call with its status and the MosaicError it raised', async () => {
    cloud.setFaults('nova', { errorRate: 1 });
    cloud.resetStats();
    const { body } = await gw.query('{ instances(first: 2) { totalCount } }', {}, tokens.alice);
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_ERROR', service: 'nova' });
    const nova = seen.ends.filter((m) => m.service === 'nova');
    expect(nova).toHaveLength((await statsOf(cloud, 'nova')).total);
    expect(nova[0]).toMatchObject({ status: 500, route: '/v2.1/servers/detail' });
    expect(nova[0].error).toBeInstanceOf(MosaicError);
    expect((nova[0].error as MosaicError).errorName).toBe('MOSAIC_ERR_UPSTREAM_STATUS');
  });
});

describe('loader batches', () => {
  it('publishes a start and an end around each batch, with the loader, its key count and duration', async () => {
    const { body } = await gw.query(queryText('fleet-tree'), {}, tokens.admin);
    expect(body.errors).toBeUndefined();
    expect(seen.batchEnds).toHaveLength(seen.batchStarts.length);
    for (const start of seen.batchStarts) expect(seen.batchEnds).toContain(start);
    expect([...new Set(seen.batchEnds.map((b) => b.loader))]).toEqual(
      expect.arrayContaining(['hostsByZone', 'instancesByHost', 'legacyDisksByInstance', 'cinderDisksByInstance', 'image']),
    );
    for (const b of seen.batchEnds) {
      expect(b.keys, b.loader).toBeGreaterThan(0);
      expect(b.durationMs, b.loader).toBeGreaterThanOrEqual(0);
      expect(b.error, b.loader).toBeUndefined();
    }
    // The tree's zones each ask for their hosts: one batch holds every zone.
    expect(seen.batchEnds.find((b) => b.loader === 'hostsByZone')?.keys).toBe(cloud.cloud.zones.length);
  });
});

describe('the upstream client on a loopback server', () => {
  let server: http.Server;
  let base: string;
  let stack: HttpStack;
  const received: http.IncomingHttpHeaders[] = [];
  const BODY = JSON.stringify({ servers: [{ id: 'é' }] }); // a multi-byte character: bytes, not characters

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      received.push(req.headers);
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(BODY), 30);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    stack = createHttpStack(
      validateConfig({
        keystone: { url: cloud.keystoneUrl },
        legacy: { url: cloud.legacyUrl, apiKey: cloud.legacyApiKey },
        server: { maxUpstreamCalls: 1 },
      }),
    );
  });
  afterAll(async () => {
    stack?.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => (received.length = 0));
  const client = () => new UpstreamClient(stack, new BatchScheduler(0));

  it('sends the headers an upstreamStart subscriber adds, such as a W3C traceparent', async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const addTrace = (m: unknown) => ((m as UpstreamCallMessage).headers.traceparent = traceparent);
    diagnostics.subscribe('mosaic.upstream.start', addTrace);
    try {
      await client().get('nova', `${base}/v2.1/servers/detail?limit=1`, { 'x-auth-token': 'a' });
    } finally {
      diagnostics.unsubscribe('mosaic.upstream.start', addTrace);
    }
    expect(received).toHaveLength(1);
    expect(received[0].traceparent).toBe(traceparent);
    expect(seen.ends).toHaveLength(1);
    expect(seen.ends[0]).toMatchObject({
      service: 'nova',
      method: 'GET',
      route: '/v2.1/servers/detail',
      status: 200,
      bytes: Buffer.byteLength(BODY),
    });
  });

  it('publishes memo and in-flight lookups, telling hits from misses', async () => {
    const url = `${base}/v2.1/servers/detail?limit=2`;
    const [a, b] = [client(), client()];
    const first = a.get('nova', url, { 'x-auth-token': 'a' });
    const again = a.get('nova', url, { 'x-auth-token': 'a' }); // the same request: its memo
    const other = b.get('nova', url, { 'x-auth-token': 'a' }); // another request with the same credential: shares the call in flight
    await Promise.all([first, again, other]);
    expect(received).toHaveLength(1);
    expect(seen.starts).toHaveLength(1);
    expect(seen.caches).toEqual([
      { cache: 'memo', hit: false },
      { cache: 'inflight', hit: false },
      { cache: 'memo', hit: true },
      { cache: 'memo', hit: false },
      { cache: 'inflight', hit: true },
    ]);
  });

  it('publishes no call the per-request budget refused before sending', async () => {
    const c = client();
    await c.get('nova', `${base}/v2.1/servers/detail?limit=3`, { 'x-auth-token': 'a' });
    const refused = await c.get('nova', `${base}/v2.1/servers/detail?limit=4`, { 'x-auth-token': 'a' }).catch((e: unknown) => e);
    expect((refused as MosaicError).errorName).toBe('MOSAIC_ERR_TOO_COSTLY');
    expect(received).toHaveLength(1);
    expect(seen.starts).toHaveLength(1);
    expect(seen.ends).toHaveLength(1);
  });
});
