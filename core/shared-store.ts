// What gateway replicas share (DESIGN.md "Production"): the token cache and revocations, the fleet cache, rate-limit
// counters and fan-out messages. One interface, two homes: in this process (memory-store.ts, the default) or in
// Redis when `redis.url` is configured (datasources/shared-state/redis-store.ts), so two gateways behind one load
// balancer agree. Callers treat the store as a cache: a failing store is a miss, never a failed request.

export interface WindowCount {
  /** Hits in the current window, this one included. */
  count: number;
  /** Milliseconds until the window ends. */
  resetMs: number;
}

export interface SharedStore {
  readonly kind: 'memory' | 'redis';
  get(key: string): Promise<string | null>;
  /** Stores `value` for `ttlMs` (> 0). */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  delete(keys: string[]): Promise<void>;
  /** Counts one hit in the fixed window `key` of `windowMs`. */
  hit(key: string, windowMs: number): Promise<WindowCount>;
  publish(channel: string, message: string): Promise<void>;
  /** Calls `onMessage` for every message published on `channel` by any replica, this one included; returns unsubscribe. */
  subscribe(channel: string, onMessage: (message: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
