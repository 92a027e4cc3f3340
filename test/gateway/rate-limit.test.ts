// Per-caller rate limits (rateLimit.max per rateLimit.windowMs): counted per validated user, or per client address
// without a valid token, in the shared store (two gateways on one Redis: test/gateway/shared-state.test.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken, startTestCloud, type DemoCloud } from '../helpers/cloud.ts';
import { RUNTIMES, startTestGateway, type TestGateway } from '../helpers/gateway.ts';

const post = (url: string, query: string, token?: string) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { 'x-auth-token': token } : {}) },
    body: JSON.stringify({ query }),
  });

describe.each(RUNTIMES)('rate limits on %s', (runtime) => {
  let cloud: DemoCloud;
  let gw: TestGateway;
  beforeAll(async () => {
    cloud = await startTestCloud();
    gw = await startTestGateway(cloud, runtime, { rateLimit: { max: 3, windowMs: 60_000 } });
  });
  afterAll(async () => {
    await gw?.close();
    await cloud?.close();
  });

  it('answers 429 with Retry-After past a user’s budget, whatever token the user sends', async () => {
    const one = (await issueToken(cloud, 'alice')).token;
    const two = (await issueToken(cloud, 'alice')).token;
    const statuses = [];
    for (const token of [one, two, one, two]) statuses.push((await post(gw.url, '{ viewer { userName } }', token)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const refused = await post(gw.url, '{ viewer { userName } }', one);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.headers.get('ratelimit-remaining')).toBe('0');
    const body = (await refused.json()) as any;
    expect(body.errors[0].extensions).toMatchObject({ code: 'FORBIDDEN', mosaicCode: 'MOSAIC_ERR_RATE_LIMITED' });
    // Another user keeps their own budget.
    const bob = (await issueToken(cloud, 'bob')).token;
    expect((await post(gw.url, '{ viewer { userName } }', bob)).status).toBe(200);
  });

  it('counts made-up tokens by address and then stops asking Keystone about them', async () => {
    // alice's and bob's requests above came from this address too, but with valid tokens: counted per user.
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await post(gw.url, '{ __typename }', `forged-${i}`)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    cloud.resetStats();
    for (let i = 0; i < 5; i++) expect((await post(gw.url, '{ __typename }', `forged-more-${i}`)).status).toBe(429);
    const keystone = (await (await fetch(`${cloud.urls.keystone}/_emulator/stats`)).json()) as { total: number };
    expect(keystone.total).toBe(0);
  });
});
