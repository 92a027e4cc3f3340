// What the gateway holds in memory per request and across requests (issue #8 "Memory"): the per-request URL
// memo lets go of big bodies once their consumers have them (http/client.ts MEMO_MAX_BYTES), big list pages go
// through a per-upstream gate across all requests (http/pagination.ts listGate, BIG_PAGES_IN_FLIGHT) while small
// ones do not wait, and a direct list a resolver asks for (the legacy zones) travels beside its level's batches
// instead of holding them back a round (planner/scheduler.ts soon()).
// Calls are counted by the emulators; overlap is read from the gateway HTTP client's own start/end messages
// (core/diagnostics.ts), the moments each call left and its answer arrived.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken, startTestCloud, statsOf, type DemoCloud } from '../helpers/cloud.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { NoSharing, maxOverlap, recordCalls } from '../helpers/upstream-calls.ts';
import { validateConfig } from '../../core/config.ts';
import { MEMO_MAX_BYTES, UpstreamClient, createHttpStack, type HttpStack, type UpstreamResponse } from '../../datasources/http/client.ts';
import { BIG_PAGES_IN_FLIGHT, BIG_PAGE_BYTES, bigPage } from '../../datasources/http/pagination.ts';
import { BatchScheduler } from '../../datasources/planner/scheduler.ts';
import { toGlobalId } from '../../resolvers/global-id.ts';

let cloud: DemoCloud;
let admin: string;
beforeAll(async () => {
  // 20 ms a response: long enough for concurrent requests' calls to overlap on a busy machine.
  cloud = await startTestCloud({ size: 'small', latencyMs: 20 });
  admin = (await issueToken(cloud, 'admin')).token;
}, 30_000);
afterAll(() => cloud?.close());

describe('the per-request memo', () => {
  let stack: HttpStack;
  beforeAll(() => {
    stack = createHttpStack(validateConfig({ keystone: { url: cloud.keystoneUrl }, legacy: { url: cloud.legacyUrl, apiKey: cloud.legacyApiKey } }));
  });
  afterAll(() => stack?.close());

  it('keeps a small answer for the whole request but lets go of a big list once its waiting consumers have it', async () => {
    const upstream = new UpstreamClient(stack, new BatchScheduler(0));
    const headers = { 'x-auth-token': admin };
    const server = cloud.cloud.servers.find((s) => s.status !== 'DELETED')!;
    const one = `${cloud.urls.nova}/v2.1/servers/${server.id}`;
    const all = `${cloud.urls.nova}/v2.1/servers/detail?all_tenants=1&limit=1000`;
    cloud.resetStats();

    // Two consumers waiting at once share the one call, big or small.
    const [a, b] = await Promise.all([upstream.get('nova', all, headers), upstream.get('nova', all, headers)]);
    expect(a.bytes).toBeGreaterThan(MEMO_MAX_BYTES);
    expect(b.body.servers.length).toBe(a.body.servers.length);
    expect(a.body.servers.length).toBeGreaterThan(100);
    const small = await upstream.get('nova', one, headers);
    expect(small.bytes).toBeLessThan(MEMO_MAX_BYTES);
    expect(small.body.server.id).toBe(server.id);

    // Later: the small answer comes from the memo, the big one was not kept and is fetched again.
    expect((await upstream.get('nova', one, headers)).body.server.id).toBe(server.id);
    expect((await upstream.get('nova', all, headers)).body.servers.length).toBe(a.body.servers.length);
    const byRoute = (await statsOf(cloud, 'nova')).byRoute;
    expect(byRoute['GET /v2.1/servers/detail']).toBe(2);
    expect(byRoute['GET /v2.1/servers/:id']).toBe(1);
  });
});

describe('big list pages across requests', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway(cloud, 'mercurius');
    // No sharing of identical in-flight GETs across requests (as `npm run bench` runs): each request reads its own
    // lists, so the bound is the gate's and not the sharing's.
    gw.services.stack.inflight = new NoSharing<UpstreamResponse>();
  });
  afterAll(() => gw?.close());

  it('calls a page big from the learned list size and record size, and a never-seen list big', () => {
    expect(bigPage(undefined, 1000, 1200)).toBe(true);
    expect(bigPage(634, 1000, 1200)).toBe(true);
    expect(bigPage(134, 1000, 1200)).toBe(false);
    expect(bigPage(5000, 1000, BIG_PAGE_BYTES / 1000)).toBe(false);
  });

  it(`has at most ${BIG_PAGES_IN_FLIGHT} all-tenants volume lists in flight to Cinder however many requests need them`, async () => {
    const query = '{ zones { hosts { instances { disks { sizeGb } } } } }';
    // A warm-up learns the list sizes, as any running gateway has.
    expect((await gw.query(query, {}, admin)).body.errors).toBeUndefined();
    cloud.resetStats();
    const requests = 12;
    // A slow Cinder (300 ms an answer), so the requests' lists would all be on their way at once without the gate.
    cloud.setFaults('cinder', { latencyMs: 300 });
    const { result, calls } = await recordCalls(() => Promise.all(Array.from({ length: requests }, () => gw.query(query, {}, admin)))).finally(() =>
      cloud.setFaults('cinder', { latencyMs: 20 }),
    );
    const answers = result.map((res) => {
      expect(res.body.errors).toBeUndefined();
      return JSON.stringify(res.body.data);
    });
    expect(new Set(answers).size).toBe(1);
    expect(answers[0]).toContain('sizeGb');
    // Every request read its own list (sharing is off), and never more than the gate's permits were in flight
    // at once — though the requests did overlap.
    const lists = calls.filter((c) => c.service === 'cinder' && c.route.includes('/volumes/detail'));
    const counted = (await statsOf(cloud, 'cinder')).byRoute['GET /v3/:project_id/volumes/detail'] ?? 0;
    expect(counted).toBe(requests);
    expect(lists.length).toBe(counted);
    expect(maxOverlap(lists)).toBeLessThanOrEqual(BIG_PAGES_IN_FLIGHT);
    expect(maxOverlap(lists)).toBeGreaterThanOrEqual(2);
  });

  it('sends a mixed nodes list (a zone beside instances and volumes) in one round: every call leaves before the first answer', async () => {
    const servers = cloud.cloud.servers.filter((s) => s.status !== 'DELETED').slice(0, 3);
    const volumes = cloud.cloud.volumes.slice(0, 2);
    const zone = cloud.cloud.zones[0];
    const ids = [
      toGlobalId('Zone', String(zone.id)),
      ...servers.map((s) => toGlobalId('Instance', s.id)),
      ...volumes.map((v) => toGlobalId('Disk', `cinder:${v.id}`)),
    ];
    const query = 'query($ids: [ID!]!) { nodes(ids: $ids) { id __typename } }';
    await gw.query(query, { ids }, admin); // warm-up: version documents, sizes
    const { result, calls } = await recordCalls(() => gw.query(query, { ids }, admin));
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data.nodes.map((n: any) => n?.id)).toEqual(ids);
    const own = calls.filter((c) => !c.route.includes('/OS-REVOKE/'));
    expect(own.map((c) => c.route).some((r) => r.includes('/zones'))).toBe(true);
    const firstAnswer = Math.min(...own.map((c) => c.end));
    expect(own.every((c) => c.start < firstAnswer)).toBe(true);
  });
});
