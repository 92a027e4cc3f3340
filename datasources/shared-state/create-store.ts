// Picks the SharedStore for this gateway: Redis when `redis.url` is configured (connected and checked at start-up,
// so a wrong URL fails there with a clear message), otherwise one in this process.
import type { MosaicConfig } from '../../core/config.ts';
import type { SharedStore } from '../../core/shared-store.ts';
import { MemoryStore } from '../../core/memory-store.ts';

export async function createStore(config: MosaicConfig['redis']): Promise<SharedStore> {
  if (!config.url) return new MemoryStore();
  // ioredis is imported only when redis.url is set: a single-replica gateway never loads it.
  const { RedisStore } = await import('./redis-store.ts');
  const store = new RedisStore(config.url, config.keyPrefix);
  await store.connect();
  return store;
}
