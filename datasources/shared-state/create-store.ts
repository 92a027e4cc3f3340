// Picks the SharedStore for this gateway: Redis when `redis.url` is configured (connected and checked at start-up,
// so a wrong URL fails there with a clear message), otherwise one in this process.
import type { MosaicConfig } from '../../core/config.ts';
import type { SharedStore } from '../../core/shared-store.ts';
import { MemoryStore } from '../../core/memory-store.ts';
import { RedisStore } from './redis-store.ts';

export async function createStore(config: MosaicConfig['redis']): Promise<SharedStore> {
  if (!config.url) return new MemoryStore();
  const store = new RedisStore(config.url, config.keyPrefix);
  await store.connect();
  return store;
}
