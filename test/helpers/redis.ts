// Redis for the replica tests: the URL (MOSAIC_TEST_REDIS_URL, else the machine's 127.0.0.1:6379), whether it
// answers — in CI a missing Redis fails the suite; locally it is skipped with the reason printed — and a unique key
// prefix per suite, removed afterwards.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

export const REDIS_URL = process.env.MOSAIC_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** True when Redis answers; throws in CI when it does not. */
export async function requireRedis(suite: string): Promise<boolean> {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 1_000, maxRetriesPerRequest: 0, enableOfflineQueue: false });
  probe.on('error', () => {});
  let reachable = false;
  try {
    await probe.connect();
    reachable = (await probe.ping()) === 'PONG';
  } catch {
    reachable = false;
  } finally {
    probe.disconnect();
  }
  if (!reachable && process.env.CI) throw new Error(`${suite}: Redis is required in CI and did not answer at ${REDIS_URL}`);
  if (!reachable) console.warn(`${suite}: skipped, no Redis at ${REDIS_URL} (start redis-server or set MOSAIC_TEST_REDIS_URL)`);
  return reachable;
}

/** A key prefix no other suite uses. */
export const testPrefix = () => `mosaic-test-${randomUUID()}:`;

/** Deletes every key under `prefix`. */
export async function dropPrefix(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true });
  redis.on('error', () => {});
  try {
    await redis.connect();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}
