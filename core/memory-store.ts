// The in-process SharedStore: what one gateway uses when no Redis is configured. Bounded (oldest entries go first)
// so a flood of distinct keys — tokens, client addresses — cannot grow it without limit.
import { EventEmitter } from 'node:events';
import type { SharedStore, WindowCount } from './shared-store.ts';

export class MemoryStore implements SharedStore {
  readonly kind = 'memory';
  private readonly entries = new Map<string, { value: string; until: number }>();
  private readonly windows = new Map<string, { count: number; until: number }>();
  private readonly bus = new EventEmitter().setMaxListeners(0);

  constructor(
    private readonly maxEntries = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  async get(key: string): Promise<string | null> {
    const entry = this.entries.get(key);
    if (!entry) return null;
    if (entry.until <= this.now()) {
      this.entries.delete(key);
      return null;
    }
    return entry.value;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.entries.delete(key);
    trim(this.entries, this.maxEntries);
    this.entries.set(key, { value, until: this.now() + ttlMs });
  }

  async delete(keys: string[]): Promise<void> {
    for (const key of keys) this.entries.delete(key);
  }

  async hit(key: string, windowMs: number): Promise<WindowCount> {
    const now = this.now();
    let window = this.windows.get(key);
    if (!window || window.until <= now) {
      this.windows.delete(key);
      trim(this.windows, this.maxEntries);
      window = { count: 0, until: now + windowMs };
      this.windows.set(key, window);
    }
    window.count++;
    return { count: window.count, resetMs: window.until - now };
  }

  async publish(channel: string, message: string): Promise<void> {
    this.bus.emit(channel, message);
  }

  async subscribe(channel: string, onMessage: (message: string) => void): Promise<() => Promise<void>> {
    this.bus.on(channel, onMessage);
    return async () => {
      this.bus.off(channel, onMessage);
    };
  }

  async close(): Promise<void> {
    this.entries.clear();
    this.windows.clear();
    this.bus.removeAllListeners();
  }
}

/** Makes room for one entry by dropping the oldest tenth (Maps keep insertion order). */
function trim(map: Map<string, unknown>, max: number): void {
  if (map.size < max) return;
  let drop = Math.max(1, Math.floor(max / 10));
  for (const key of map.keys()) {
    map.delete(key);
    if (--drop === 0) break;
  }
}
