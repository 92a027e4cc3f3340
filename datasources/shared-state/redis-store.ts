// The SharedStore in Redis (redis.url), for replicas: keys under redis.keyPrefix, values with a TTL, fixed-window
// counters updated atomically by one Lua script (INCR, and PEXPIRE on the first hit — so a window can never lose
// its expiry between two commands), pub/sub on a second connection (a subscribed Redis connection can issue no
// other commands: https://redis.io/docs/latest/develop/interact/pubsub/). Commands fail fast while Redis is
// unreachable (no offline queue, one retry) so callers fall back instead of waiting.
import { Redis } from 'ioredis';
import type { SharedStore, WindowCount } from '../../core/shared-store.ts';

const HIT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {count, ttl}`;

export class RedisStore implements SharedStore {
  readonly kind = 'redis';
  private readonly client: Redis;
  private subscriber: Redis | null = null;
  private readonly handlers = new Map<string, Set<(message: string) => void>>();

  constructor(
    url: string,
    private readonly prefix: string,
  ) {
    this.client = new Redis(url, { keyPrefix: prefix, enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2_000, lazyConnect: true });
    // Connection errors surface on each command; without a listener ioredis would also print every retry.
    this.client.on('error', () => {});
  }

  /** Connects, failing with a clear message when Redis does not answer (start-up, readiness). */
  async connect(): Promise<void> {
    try {
      await this.client.connect();
      await this.client.ping();
    } catch (err) {
      this.client.disconnect();
      throw new Error(`redis: cannot reach ${redact(this.client.options)}: ${(err as Error).message}`, { cause: err });
    }
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.client.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  async get(key: string): Promise<string | null> {
    return this.client.get(key);
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.client.set(key, value, 'PX', Math.max(1, Math.round(ttlMs)));
  }

  async delete(keys: string[]): Promise<void> {
    if (keys.length) await this.client.del(...keys);
  }

  async hit(key: string, windowMs: number): Promise<WindowCount> {
    const [count, ttl] = (await this.client.eval(HIT_SCRIPT, 1, key, String(windowMs))) as [number, number];
    return { count, resetMs: ttl };
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.client.publish(this.prefix + channel, message);
  }

  async subscribe(channel: string, onMessage: (message: string) => void): Promise<() => Promise<void>> {
    const name = this.prefix + channel;
    if (!this.subscriber) {
      this.subscriber = this.client.duplicate({ keyPrefix: undefined, enableOfflineQueue: true, lazyConnect: false });
      this.subscriber.on('error', () => {});
      this.subscriber.on('message', (ch: string, message: string) => {
        for (const handler of this.handlers.get(ch) ?? []) handler(message);
      });
    }
    let set = this.handlers.get(name);
    if (!set) {
      set = new Set();
      this.handlers.set(name, set);
      await this.subscriber.subscribe(name);
    }
    set.add(onMessage);
    return async () => {
      set.delete(onMessage);
      if (set.size === 0 && this.handlers.get(name) === set) {
        this.handlers.delete(name);
        await this.subscriber?.unsubscribe(name).catch(() => {});
      }
    };
  }

  async close(): Promise<void> {
    this.subscriber?.disconnect();
    await this.client.quit().catch(() => this.client.disconnect());
  }
}

/** host:port/db for messages, without credentials. */
function redact(options: { host?: string; port?: number; db?: number }): string {
  return `${options.host ?? '127.0.0.1'}:${options.port ?? 6379}/${options.db ?? 0}`;
}
