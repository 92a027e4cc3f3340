// Circuit breakers end to end (datasources/http/breaker.ts, `breaker.*`), on both runtimes, asserted from the
// emulators' request counters: once Nova has failed often enough its breaker opens, and from then on queries make
// no Nova call at all and answer the Nova fields with UPSTREAM_UNAVAILABLE / MOSAIC_ERR_CIRCUIT_OPEN while the
// other services' fields still resolve; after `openMs` one probe goes through, and its outcome closes or re-opens
// the breaker. Answers the service gave (404 lookups, 403 policy refusals) and calls our own caller aborted never
// open it.
import diagnostics from 'node:diagnostics_channel';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { issueToken, startTestCloud, statsOf, type DemoCloud } from '../helpers/cloud.ts';
import { RUNTIMES, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { validateConfig } from '../../core/config.ts';
import type { BreakerMessage, UpstreamCallMessage } from '../../core/diagnostics.ts';
import { MosaicError } from '../../core/errors.ts';
import { BatchScheduler, UpstreamClient, createHttpStack } from '../../datasources/index.ts';

/** Long enough that a few queries finish well inside it on a loaded machine, short enough to wait out. */
const OPEN_MS = 1500;
const BREAKER = { minCalls: 3, windowMs: 10_000, openMs: OPEN_MS, errorPercent: 50 };
const OVERRIDES = { breaker: BREAKER, upstreams: { nova: { retries: 0 } } };
const CLEAR = { down: false, errorRate: 0, slowMs: 0 };
/** One Nova call (the caller's servers), one legacy call (zones), and the viewer from the validated token. */
const QUERY = '{ viewer { userName } instances(first: 2) { edges { node { name } } } zones { name } }';

interface Answer {
  status: number;
  body: { data?: any; errors?: any[] };
}

let cloud: DemoCloud;
let alice: string;
beforeAll(async () => {
  cloud = await startTestCloud();
  alice = (await issueToken(cloud, 'alice')).token;
});
afterAll(() => cloud?.close());

const novaCalls = async () => (await statsOf(cloud, 'nova')).total;

/** The answer while Nova's breaker is open: the Nova field fails fast with CIRCUIT_OPEN, everything else stands. */
function expectNovaRefused(answer: Answer, healthy: Answer) {
  expect(answer.status).toBe(200);
  expect(answer.body.errors).toHaveLength(1);
  expect(answer.body.errors![0].path).toEqual(['instances']);
  expect(answer.body.errors![0].extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', mosaicCode: 'MOSAIC_ERR_CIRCUIT_OPEN', service: 'nova' });
  expect(answer.body.data).toEqual({ ...healthy.body.data, instances: null });
}

describe.each(RUNTIMES)('circuit breakers on %s', (runtime) => {
  let gw: TestGateway;
  let healthy: Answer;
  const breakerChanges: BreakerMessage['state'][] = [];
  const onBreaker = (m: unknown) => (m as BreakerMessage).service === 'nova' && breakerChanges.push((m as BreakerMessage).state);
  const run = () => gw.query(QUERY, {}, alice) as Promise<Answer>;

  /** Queries while Nova is down until its breaker opens; every answer before that carries Nova's own failure. */
  async function openNovaBreaker() {
    cloud.setFaults('nova', { down: true });
    for (let i = 0; i < 10 && gw.services.stack.breakers.state('nova') !== 'open'; i++) {
      const { body } = await run();
      expect(body.errors?.[0]?.extensions).toMatchObject({
        code: 'UPSTREAM_UNAVAILABLE',
        mosaicCode: 'MOSAIC_ERR_UPSTREAM_UNAVAILABLE',
        service: 'nova',
      });
    }
    expect(gw.services.stack.breakers.state('nova')).toBe('open');
  }

  beforeEach(async () => {
    gw = await startTestGateway(cloud, runtime, OVERRIDES);
    healthy = await run(); // also validates (and caches) alice's token
    expect(healthy.body.errors).toBeUndefined();
    breakerChanges.length = 0;
    diagnostics.subscribe('mosaic.breaker', onBreaker);
  });
  afterEach(async () => {
    diagnostics.unsubscribe('mosaic.breaker', onBreaker);
    cloud.setFaults('nova', CLEAR);
    await gw?.close();
  });

  it('stops calling a failing Nova, answers its fields with CIRCUIT_OPEN while the rest resolves, and closes after one good probe', async () => {
    await openNovaBreaker();

    // Open: three queries, no Nova call made or published, the other services still answer.
    const published: UpstreamCallMessage[] = [];
    const onStart = (m: unknown) => published.push(m as UpstreamCallMessage);
    diagnostics.subscribe('mosaic.upstream.start', onStart);
    cloud.resetStats();
    let refused: Answer[];
    try {
      refused = (await Promise.all([run(), run(), run()])) as Answer[];
    } finally {
      diagnostics.unsubscribe('mosaic.upstream.start', onStart);
    }
    expect(await novaCalls()).toBe(0);
    expect(published.filter((m) => m.service === 'nova')).toEqual([]);
    expect((await statsOf(cloud, 'legacy')).total).toBeGreaterThan(0);
    for (const answer of refused) expectNovaRefused(answer, healthy);

    // Nova is back; once openMs has passed, one probe goes through, succeeds and closes the breaker.
    cloud.setFaults('nova', CLEAR);
    await sleep(OPEN_MS + 50);
    cloud.resetStats();
    const probed = await run();
    expect(await novaCalls()).toBe(1);
    expect(probed.body).toEqual(healthy.body);
    expect(gw.services.stack.breakers.state('nova')).toBe('closed');
    expect(breakerChanges).toEqual(['open', 'halfOpen', 'closed']);
    expect((await run()).body).toEqual(healthy.body);
  });

  it('re-opens after a failed probe and again makes no Nova call until openMs has passed', async () => {
    await openNovaBreaker();
    await sleep(OPEN_MS + 50);
    cloud.resetStats();
    const probed = await run();
    expect(await novaCalls()).toBe(1);
    expect(probed.body.errors?.[0]?.extensions).toMatchObject({ mosaicCode: 'MOSAIC_ERR_UPSTREAM_UNAVAILABLE', service: 'nova' });
    expect(gw.services.stack.breakers.state('nova')).toBe('open');
    expectNovaRefused(await run(), healthy);
    expect(await novaCalls()).toBe(1);
    expect(breakerChanges).toEqual(['open', 'halfOpen', 'open']);
  });

  it('never opens on 404 lookups of instances that do not exist', async () => {
    cloud.resetStats();
    for (let i = 0; i < 6; i++) {
      const { body } = await gw.query(`{ instance(id: "4f0c0d0e-1111-4222-8333-94445555000${i}") { name } }`, {}, alice);
      expect(body).toEqual({ data: { instance: null } });
    }
    expect(await novaCalls()).toBe(6);
    expect(gw.services.stack.breakers.state('nova')).toBe('closed');
    expect((await run()).body).toEqual(healthy.body);
    expect(breakerChanges).toEqual([]);
  });

  it('keeps calling a failing Nova when breaker.enabled is false', async () => {
    const off = await startTestGateway(cloud, runtime, { ...OVERRIDES, breaker: { ...BREAKER, enabled: false } });
    try {
      cloud.setFaults('nova', { down: true });
      cloud.resetStats();
      for (let i = 0; i < 6; i++) {
        const { body } = await off.query(QUERY, {}, alice);
        expect(body.errors?.[0]?.extensions).toMatchObject({ mosaicCode: 'MOSAIC_ERR_UPSTREAM_UNAVAILABLE', service: 'nova' });
      }
      // The first query also validated alice's token with Keystone; Nova saw every query.
      expect(await novaCalls()).toBe(6);
    } finally {
      await off.close();
    }
  });
});

describe("an upstream client's breaker", () => {
  const config = () =>
    validateConfig({ keystone: { url: cloud.keystoneUrl }, legacy: { url: cloud.legacyUrl, apiKey: cloud.legacyApiKey }, ...OVERRIDES });
  const servers = (query = '') => ({ url: `${cloud.urls.nova}/v2.1/servers/detail${query}`, headers: { 'x-auth-token': alice } });
  afterEach(() => cloud.setFaults('nova', CLEAR));

  it("does not count 403 refusals of Nova's policy", async () => {
    const stack = createHttpStack(config());
    try {
      const client = new UpstreamClient(stack, new BatchScheduler(0));
      for (let i = 0; i < 5; i++) {
        const err = await client.request('nova', servers(`?all_tenants=1&limit=${i + 1}`)).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(MosaicError);
        expect((err as MosaicError).errorName).toBe('MOSAIC_ERR_UPSTREAM_FORBIDDEN');
      }
      expect(stack.breakers.state('nova')).toBe('closed');
    } finally {
      stack.close();
    }
  });

  it('counts calls aborted because the client went away neither as failures nor as successes', async () => {
    const stack = createHttpStack(config());
    try {
      cloud.setFaults('nova', { slowMs: 2000 });
      const controller = new AbortController();
      const client = new UpstreamClient(stack, new BatchScheduler(0), controller.signal);
      const calls = Array.from({ length: 5 }, () => client.request('nova', servers()).catch((e: unknown) => e));
      await sleep(100);
      controller.abort();
      for (const err of await Promise.all(calls)) expect(err).toBeInstanceOf(MosaicError);
      // Counted as failures, five would have opened it (minCalls 3).
      expect(stack.breakers.state('nova')).toBe('closed');

      // Counted as successes, three failures out of eight would not open it; out of three they do.
      cloud.setFaults('nova', { slowMs: 0, down: true });
      const fresh = new UpstreamClient(stack, new BatchScheduler(0));
      for (let i = 0; i < 3; i++) await fresh.request('nova', servers()).catch(() => undefined);
      expect(stack.breakers.state('nova')).toBe('open');
    } finally {
      stack.close();
    }
  });
});
