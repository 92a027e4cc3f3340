// Token revocation end to end (datasources/keystone/revocations.ts and token-cache.ts), on both runtimes, against
// the emulated Keystone's OS-REVOKE events: a token revoked at Keystone is refused within 5 s — with the service
// account reading events, and without one (cached tokens are then re-validated every 4.5 s) — while a valid token
// is validated at Keystone once and then served from the cache. With Redis (the real one at 127.0.0.1:6379, a key
// prefix of its own per run): two gateways share the cache and both refuse a revoked token within 5 s, and a
// Redis lost after start costs only cache hits. The 5 s are a correctness bound, not a speed target: no request sent
// later than 5 s after the revocation is answered.
import diagnostics from 'node:diagnostics_channel';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { issueToken, startTestCloud, statsOf, type DemoCloud } from '../helpers/cloud.ts';
import { RUNTIMES, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import type { CacheMessage } from '../../core/diagnostics.ts';

const BOUND_MS = 5_000;
const HOSTS = '{ zones { hosts { hostname } } }';
const REDIS_URL = 'redis://127.0.0.1:6379';

/** Why the Redis-backed cases cannot run here, or null when Redis answers. */
async function redisUnavailable(): Promise<string | null> {
  const client = new Redis(REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 1_000,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
    return null;
  } catch (err) {
    return `Redis at ${REDIS_URL} is not reachable (${(err as Error).message})`;
  } finally {
    client.disconnect();
  }
}
const noRedis = await redisUnavailable();
// In CI a missing Redis fails these cases (they run and cannot connect); locally they skip with the reason.
const skipRedis = noRedis !== null && !process.env.CI;
if (skipRedis) console.warn(`\n[Redis-backed revocation tests skipped] ${noRedis}\n`);

let cloud: DemoCloud;
let adminToken: string;
beforeAll(async () => {
  cloud = await startTestCloud();
  adminToken = (await issueToken(cloud, 'admin')).token;
});
afterAll(() => cloud?.close());

/** Revokes `subject` at Keystone as an administrator; returns when the request was sent (the strictest origin). */
async function revoke(subject: string): Promise<number> {
  const sent = Date.now();
  const res = await fetch(`${cloud.keystoneUrl}/auth/tokens`, {
    method: 'DELETE',
    headers: { 'x-auth-token': adminToken, 'x-subject-token': subject },
  });
  expect(res.status).toBe(204);
  return sent;
}

const validations = async () => (await statsOf(cloud, 'keystone')).byRoute['GET /v3/auth/tokens'] ?? 0;

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(20);
  }
}

/** Every host, as the administrator sees them: what a token that still works gets. */
function expectAllHosts(body: { data?: any; errors?: any[] }) {
  expect(body.errors).toBeUndefined();
  expect(body.data.zones.flatMap((z: any) => z.hosts)).toHaveLength(cloud.cloud.hosts.length);
}

/**
 * Asks for the hosts with `token` until the gateway refuses it as MOSAIC_ERR_BAD_TOKEN (and checks it stays
 * refused); every answer before that is complete. Returns how long after `revokedAt` the last request the gateway
 * still answered was sent: the bound is on when a request arrives, so a slow answer on a loaded machine does not
 * count against it.
 */
async function msStillAccepted(gw: TestGateway, token: string, revokedAt: number): Promise<number> {
  let accepted = 0;
  for (;;) {
    const sent = Date.now() - revokedAt;
    const { body } = await gw.query(HOSTS, {}, token);
    if (body.errors) {
      expect(body.data).toEqual({ zones: null });
      expect(body.errors).toEqual([
        expect.objectContaining({ extensions: expect.objectContaining({ code: 'UNAUTHENTICATED', mosaicCode: 'MOSAIC_ERR_BAD_TOKEN' }) }),
      ]);
      const again = await gw.query(HOSTS, {}, token);
      expect(again.body.errors?.[0]?.extensions?.mosaicCode).toBe('MOSAIC_ERR_BAD_TOKEN');
      return accepted;
    }
    expectAllHosts(body);
    accepted = sent;
    if (sent > 3 * BOUND_MS) throw new Error(`the revoked token still works ${sent} ms after its revocation`);
    await sleep(50);
  }
}

describe.each(RUNTIMES)('token revocation on %s', (runtime) => {
  describe('with the service account reading revocation events', () => {
    let gw: TestGateway;
    beforeAll(async () => {
      gw = await startTestGateway(cloud, runtime);
      await until(() => gw.services.keystone.revocations?.status().current === true);
    });
    afterAll(() => gw?.close());

    it('refuses a revoked admin token within 5 s, after it has listed every host', async () => {
      const { token } = await issueToken(cloud, 'admin');
      expectAllHosts((await gw.query(HOSTS, {}, token)).body);
      const revokedAt = await revoke(token);
      expect(await msStillAccepted(gw, token, revokedAt)).toBeLessThanOrEqual(BOUND_MS);
    });

    it('validates a token at Keystone once, then serves it from the cache', async () => {
      const lookups: boolean[] = [];
      const onCache = (m: unknown) => (m as CacheMessage).cache === 'token' && lookups.push((m as CacheMessage).hit);
      diagnostics.subscribe('mosaic.cache', onCache);
      try {
        const { token } = await issueToken(cloud, 'alice');
        const before = await validations();
        for (let i = 0; i < 3; i++)
          expect((await gw.query('{ viewer { userName } }', {}, token)).body).toEqual({ data: { viewer: { userName: 'alice' } } });
        expect((await validations()) - before).toBe(1);
        // One miss, then hits only (a request may look its token up more than once: rate limit, context).
        expect(lookups.length).toBeGreaterThanOrEqual(3);
        expect(lookups.filter((hit) => !hit)).toEqual([false]);
        expect(lookups[0]).toBe(false);
      } finally {
        diagnostics.unsubscribe('mosaic.cache', onCache);
      }
    });

    it("refuses every token of a user within 5 s once the user's password changes (a user_id event)", async () => {
      const carol = cloud.cloud.users.find((u) => u.name === 'carol')!;
      const [a, b] = await Promise.all([issueToken(cloud, 'carol'), issueToken(cloud, 'carol')]);
      for (const t of [a, b]) expect((await gw.query('{ viewer { userName } }', {}, t.token)).body.errors).toBeUndefined();
      const change = (original: string, password: string) =>
        fetch(`${cloud.keystoneUrl}/users/${carol.id}/password`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ user: { original_password: original, password } }),
        });
      const changedAt = Date.now();
      expect((await change('carol', 'carol-2')).status).toBe(204);
      try {
        /** As msStillAccepted: when the last request the gateway still answered was sent. */
        const stillAccepted = async (token: string) => {
          let accepted = 0;
          for (;;) {
            const sent = Date.now() - changedAt;
            const { body } = await gw.query('{ viewer { userName } }', {}, token);
            if (body.errors?.[0]?.extensions?.mosaicCode === 'MOSAIC_ERR_BAD_TOKEN') return accepted;
            expect(body).toEqual({ data: { viewer: { userName: 'carol' } } });
            accepted = sent;
            if (sent > 3 * BOUND_MS) throw new Error('still accepted');
            await sleep(50);
          }
        };
        for (const ms of await Promise.all([stillAccepted(a.token), stillAccepted(b.token)])) expect(ms).toBeLessThanOrEqual(BOUND_MS);
        // A token issued after the change works.
        const fresh = await issueToken(cloud, 'carol', 'carol-2');
        expect((await gw.query('{ viewer { userName } }', {}, fresh.token)).body).toEqual({ data: { viewer: { userName: 'carol' } } });
      } finally {
        expect((await change('carol-2', 'carol')).status).toBe(204);
      }
    });

    it('keeps the last error while Keystone is down, without failing, and recovers', async () => {
      const watcher = gw.services.keystone.revocations!;
      cloud.setFaults('keystone', { down: true });
      try {
        await until(() => watcher.status().lastError !== null);
      } finally {
        cloud.setFaults('keystone', { down: false });
      }
      expect(watcher.status().lastError).not.toContain(cloud.keystoneServicePassword);
      await until(() => watcher.status().lastError === null && watcher.status().current);
      expectAllHosts((await gw.query(HOSTS, {}, adminToken)).body);
    });
  });

  describe('without a service account', () => {
    let gw: TestGateway;
    beforeAll(async () => {
      gw = await startTestGateway(cloud, runtime, { keystone: { serviceUser: '', servicePassword: '' } });
    });
    afterAll(() => gw?.close());

    it('refuses a revoked admin token within 5 s: cached tokens are validated again after 4.5 s', async () => {
      expect(gw.services.keystone.revocations).toBeNull();
      const { token } = await issueToken(cloud, 'admin');
      const before = await validations();
      expectAllHosts((await gw.query(HOSTS, {}, token)).body);
      expectAllHosts((await gw.query(HOSTS, {}, token)).body);
      expect((await validations()) - before).toBe(1);
      const revokedAt = await revoke(token);
      expect(await msStillAccepted(gw, token, revokedAt)).toBeLessThanOrEqual(BOUND_MS);
    });
  });

  describe.skipIf(skipRedis)('with the cache in Redis', () => {
    const keyPrefix = `mosaic-test-${randomBytes(6).toString('hex')}:`;
    const redis = { url: REDIS_URL, keyPrefix };
    let admin: Redis;
    const gateways: TestGateway[] = [];
    const start = async () => {
      const gw = await startTestGateway(cloud, runtime, { redis });
      gateways.push(gw);
      await until(() => gw.services.keystone.revocations?.status().current === true);
      return gw;
    };

    beforeAll(async () => {
      if (noRedis) throw new Error(`the Redis-backed tests need Redis: ${noRedis}`);
      admin = new Redis(REDIS_URL);
    });
    afterEach(async () => {
      await Promise.all(gateways.splice(0).map((gw) => gw.close()));
    });
    afterAll(async () => {
      if (!admin) return;
      const keys = await admin.keys(`${keyPrefix}*`);
      if (keys.length) await admin.del(...keys);
      admin.disconnect();
    });

    it('serves a token validated through one gateway from the other, and both refuse it within 5 s of its revocation', async () => {
      const [a, b] = [await start(), await start()];
      expect(a.services.store.kind).toBe('redis');
      const { token } = await issueToken(cloud, 'admin');
      expectAllHosts((await a.query(HOSTS, {}, token)).body);
      const before = await validations();
      expectAllHosts((await b.query(HOSTS, {}, token)).body);
      expect((await validations()) - before).toBe(0);
      // Keyed by the token's hash; neither the key nor the value holds the token.
      const keys = await admin.keys(`${keyPrefix}keystone:token:*`);
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) {
        expect(key).toMatch(new RegExp(`^${keyPrefix}keystone:token:[0-9a-f]{64}$`));
        expect(await admin.get(key)).not.toContain(token);
      }

      const revokedAt = await revoke(token);
      const elapsed = await Promise.all([msStillAccepted(a, token, revokedAt), msStillAccepted(b, token, revokedAt)]);
      for (const ms of elapsed) expect(ms).toBeLessThanOrEqual(BOUND_MS);
    });

    it('keeps answering by validating at Keystone once Redis is gone', async () => {
      const gw = await start();
      const seen = await issueToken(cloud, 'admin');
      expectAllHosts((await gw.query(HOSTS, {}, seen.token)).body);
      await gw.services.store.close();
      const unseen = await issueToken(cloud, 'bob');
      const before = await validations();
      expect((await gw.query('{ viewer { userName } }', {}, unseen.token)).body).toEqual({ data: { viewer: { userName: 'bob' } } });
      expect((await validations()) - before).toBe(1);
      expectAllHosts((await gw.query(HOSTS, {}, seen.token)).body);
    });
  });
});
