// Admission of heavy requests (server/limits/admission.ts): a query estimated at server.heavyCost or more holds
// one of server.maxHeavyInFlight slots while it executes, the rest wait in a bounded FIFO queue, cheap queries
// never wait, a full queue or a wait too long answers 503 MOSAIC_ERR_OVERLOADED with Retry-After, and a request
// that ends — answered, failed or abandoned by its client, queued or executing — always gives its slot back.
// Overlap is read from the gateway HTTP client's own start/end messages (core/diagnostics.ts), grouped by the
// request each call was made for; the emulators answer after 20 ms so concurrent requests really overlap. Slots are
// counted in expected memory too (server.heavyMemoryMb).
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { issueToken, startTestCloud, type DemoCloud } from '../helpers/cloud.ts';
import { RUNTIMES, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { NoSharing, maxOverlap, recordCalls, windowsByRequest } from '../helpers/upstream-calls.ts';
import type { UpstreamResponse } from '../../datasources/index.ts';
import v8 from 'node:v8';
import { Admission, HEAVY_BYTES_PER_VALUE, admissionChannel, admissionOf, type AdmissionMessage } from '../../server/limits/admission.ts';

const FLEET_TREE = readFileSync(new URL('../fixtures/queries/fleet-tree.graphql', import.meta.url), 'utf8');
const CHEAP = '{ zones { id name } }';

let cloud: DemoCloud;
let admin: string;
beforeAll(async () => {
  cloud = await startTestCloud({ size: 'small', latencyMs: 20 });
  admin = (await issueToken(cloud, 'admin')).token;
}, 30_000);
afterAll(() => cloud?.close());

/** The admission messages published while `fn` runs. */
async function recordAdmission<T>(fn: () => Promise<T>): Promise<{ result: T; messages: AdmissionMessage[] }> {
  const messages: AdmissionMessage[] = [];
  const on = (m: unknown) => void messages.push(m as AdmissionMessage);
  admissionChannel.subscribe(on);
  try {
    return { result: await fn(), messages };
  } finally {
    admissionChannel.unsubscribe(on);
  }
}

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function post(gw: TestGateway, query: string, signal?: AbortSignal) {
  const res = await fetch(gw.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-auth-token': admin },
    body: JSON.stringify({ query }),
    signal,
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as { data?: any; errors?: any[] } };
}

describe.each(RUNTIMES)('admission of heavy requests (%s)', (runtime) => {
  let gw: TestGateway | undefined;
  const start = async (server: Record<string, unknown>) => {
    gw = await startTestGateway(cloud, runtime, { server });
    gw.services.stack.inflight = new NoSharing<UpstreamResponse>();
    // Token validated and list sizes learned before the runs measured.
    expect((await post(gw, FLEET_TREE)).status).toBe(200);
    return gw;
  };
  const admission = (g: TestGateway): Admission => admissionOf(g.services, g.services.config.server);
  afterEach(async () => {
    await gw?.close();
    gw = undefined;
  });

  it('never has more than 2 of 8 concurrent fleet trees executing at once, and answers all 8 correctly', async () => {
    const g = await start({ maxHeavyInFlight: 2 });
    const alone = await post(g, FLEET_TREE);
    expect(alone.body.errors).toBeUndefined();
    expect(alone.body.data.zones.length).toBeGreaterThan(0);
    const { result, messages } = await recordAdmission(() => recordCalls(() => Promise.all(Array.from({ length: 8 }, () => post(g, FLEET_TREE)))));
    expect(result.result.map((r) => r.status)).toEqual(Array(8).fill(200));
    for (const r of result.result) expect(r.body).toEqual(alone.body);
    const windows = windowsByRequest(result.calls);
    expect(windows).toHaveLength(8);
    expect(maxOverlap(windows)).toBe(2);
    expect(Math.max(...messages.map((m) => m.inFlight))).toBe(2);
    expect(messages.some((m) => m.event === 'queued')).toBe(true);
    expect(admission(g)).toMatchObject({ inFlight: 0, queued: 0 });
  }, 60_000);

  it('runs heavy requests together only while their estimates fit server.heavyMemoryMb, the others in turn', async () => {
    const g = await start({ heavyMemoryMb: 20 });
    const { costBudget } = admission(g);
    expect(costBudget).toBe(Math.floor((20 * 2 ** 20) / HEAVY_BYTES_PER_VALUE));
    const { result, messages } = await recordAdmission(() => recordCalls(() => Promise.all(Array.from({ length: 4 }, () => post(g, FLEET_TREE)))));
    expect(result.result.map((r) => r.status)).toEqual(Array(4).fill(200));
    for (const r of result.result) expect(r.body.data.zones.length).toBe(cloud.cloud.zones.length);
    // The learned estimate of a small fleet tree (~6,200 values, ~14 MB) fits the 20 MB alone, not twice.
    const cost = messages.find((m) => m.event === 'admitted')!.cost!;
    const together = Math.max(1, Math.floor(costBudget / cost));
    expect(together).toBeLessThan(4);
    expect(maxOverlap(windowsByRequest(result.calls))).toBe(together);
    expect(Math.max(...messages.map((m) => m.costInFlight))).toBeLessThanOrEqual(Math.max(costBudget, cost));
    expect(admission(g)).toMatchObject({ inFlight: 0, costInFlight: 0, queued: 0 });
  }, 60_000);

  it("defaults the memory budget to half of V8's heap limit", () => {
    const budget = new Admission({ maxHeavyInFlight: 8, maxHeavyQueued: 1, heavyQueueTimeoutMs: 1, heavyMemoryMb: 0 }).costBudget;
    expect(budget).toBe(Math.floor(v8.getHeapStatistics().heap_size_limit / 2 / HEAVY_BYTES_PER_VALUE));
  });

  it('lets cheap queries through while heavy ones queue', async () => {
    const g = await start({ maxHeavyInFlight: 1 });
    const done: string[] = [];
    const heavy = Array.from({ length: 3 }, () => post(g, FLEET_TREE).then((r) => (done.push('heavy'), r)));
    await until(() => admission(g).queued === 2, 'two heavy requests queued');
    const cheap = await post(g, CHEAP);
    done.push('cheap');
    expect(cheap.status).toBe(200);
    expect(cheap.body.errors).toBeUndefined();
    expect(cheap.body.data.zones.length).toBe(cloud.cloud.zones.length);
    // It did not wait behind them: heavy requests were still queued when it was answered.
    expect(done.indexOf('cheap')).toBeLessThan(2);
    const answers = await Promise.all(heavy);
    for (const r of answers) expect(r.body.data.zones.length).toBe(cloud.cloud.zones.length);
  }, 60_000);

  it('answers 503 MOSAIC_ERR_OVERLOADED with Retry-After when the queue is full, and after the longest wait', async () => {
    const g = await start({ maxHeavyInFlight: 1, maxHeavyQueued: 1 });
    const { result, messages } = await recordAdmission(() => Promise.all(Array.from({ length: 4 }, () => post(g, FLEET_TREE))));
    const refused = result.filter((r) => r.status === 503);
    const served = result.filter((r) => r.status === 200);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(served.length).toBeGreaterThanOrEqual(2);
    for (const r of served) expect(r.body.data.zones.length).toBe(cloud.cloud.zones.length);
    for (const r of refused) {
      expect(r.retryAfter).toBe('1');
      expect(r.body.errors![0].extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', mosaicCode: 'MOSAIC_ERR_OVERLOADED' });
      expect(r.body.errors![0].message).toMatch(/server\.maxHeavyQueued/);
    }
    expect(messages.filter((m) => m.event === 'refused' && m.reason === 'queue-full')).toHaveLength(refused.length);
    const metrics = await (await fetch(g.url.replace(/\/graphql$/, '/metrics'))).text();
    expect(metrics).toContain(`mosaic_heavy_requests_refused_total{reason="queue-full"} ${refused.length}`);
    expect(metrics).toContain('mosaic_heavy_requests{state="running"} 0');
    expect(metrics).toContain('mosaic_heavy_requests{state="queued"} 0');
    await gw!.close();

    const t = await start({ maxHeavyInFlight: 1, heavyQueueTimeoutMs: 1 });
    const [first, second] = await Promise.all([post(t, FLEET_TREE), post(t, FLEET_TREE)]);
    expect([first.status, second.status].sort()).toEqual([200, 503]);
    const late = first.status === 503 ? first : second;
    expect(late.retryAfter).toBe('1');
    expect(late.body.errors![0].extensions.mosaicCode).toBe('MOSAIC_ERR_OVERLOADED');
    expect(late.body.errors![0].message).toMatch(/server\.heavyQueueTimeoutMs/);
    expect(admission(t)).toMatchObject({ inFlight: 0, queued: 0 });
  }, 60_000);

  it('gives the slot back when a client aborts mid-queue or mid-execution', async () => {
    const g = await start({ maxHeavyInFlight: 1 });
    const a = new AbortController();
    const b = new AbortController();
    const running = post(g, FLEET_TREE, a.signal).catch((e: Error) => e);
    await until(() => admission(g).inFlight === 1, 'the first request admitted');
    const queued = post(g, FLEET_TREE, b.signal).catch((e: Error) => e);
    await until(() => admission(g).queued === 1, 'the second request queued');
    b.abort(); // mid-queue
    expect(await queued).toBeInstanceOf(Error);
    await until(() => admission(g).queued === 0, 'the aborted request out of the queue');
    expect(admission(g).inFlight).toBe(1);
    a.abort(); // mid-execution
    expect(await running).toBeInstanceOf(Error);
    await until(() => admission(g).inFlight === 0, 'the aborted request’s slot freed');
    // A following request still gets in, and alone.
    const next = await post(g, FLEET_TREE);
    expect(next.status).toBe(200);
    expect(next.body.data.zones.length).toBe(cloud.cloud.zones.length);
    expect(admission(g)).toMatchObject({ inFlight: 0, queued: 0 });
  }, 60_000);
});
