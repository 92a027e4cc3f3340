// Two gateway replicas on one Redis (redis.url) share what DESIGN.md "Production" says they share: a dashboard
// computed by one is served by the other until it expires, and a caller's rate-limit budget is one budget.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken, startTestCloud, statsOf, type DemoCloud } from '../helpers/cloud.ts';
import { RUNTIMES, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { REDIS_URL, dropPrefix, requireRedis, testPrefix } from '../helpers/redis.ts';

const DASHBOARD = '{ fleet { computedAt zones { zone { name } hostCount instanceCount vcpusAllocated diskGbProvisioned } } }';

describe('two gateways sharing one Redis', async () => {
  const reachable = await requireRedis('shared-state');
  let cloud: DemoCloud;
  const gateways: TestGateway[] = [];
  const prefix = testPrefix();
  let admin: string;

  beforeAll(async () => {
    if (!reachable) return;
    cloud = await startTestCloud();
    admin = (await issueToken(cloud, 'admin')).token;
    // One replica per runtime: what they share must not depend on the runtime either.
    for (const runtime of RUNTIMES) {
      gateways.push(
        await startTestGateway(cloud, runtime, {
          rateLimit: { max: 6, windowMs: 60_000 },
          fleet: { cacheTtlMs: 60_000 },
          redis: { url: REDIS_URL, keyPrefix: prefix },
        }),
      );
    }
  });
  afterAll(async () => {
    for (const gw of gateways) await gw.close();
    await cloud?.close();
    if (reachable) await dropPrefix(prefix);
  });

  it.skipIf(!reachable)('serves a dashboard computed by one replica from the other, with the same computedAt', async () => {
    const [a, b] = gateways;
    const first = await a.query(DASHBOARD, {}, admin);
    expect(first.body.errors).toBeUndefined();
    cloud.resetStats();
    const second = await b.query(DASHBOARD, {}, admin);
    expect(second.body).toEqual(first.body);
    for (const service of ['nova', 'cinder', 'legacy'] as const) expect((await statsOf(cloud, service)).total).toBe(0);
  });

  it.skipIf(!reachable)('spends one rate-limit budget across both replicas', async () => {
    const token = (await issueToken(cloud, 'bob')).token;
    const statuses = [];
    for (let i = 0; i < 8; i++) statuses.push((await gateways[i % 2].query('{ viewer { userName } }', {}, token)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 429, 429]);
  });
});
