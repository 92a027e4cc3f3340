// Validated Keystone tokens, shared by every replica through the SharedStore (DESIGN.md "Production": the token
// cache lives in Redis when configured), with a small in-process layer in front so most requests cost no store
// round trip.
//
// - The key is `keystone:token:` + sha256(token), and the value the caller without its token: whoever can read the
//   store cannot replay callers' tokens from it. TTL = min(token expiry, keystone.tokenCacheMaxMs); 0 turns the
//   cache off.
// - Every hit, from either layer, is checked before it is used (revocations.ts): a known revocation event that
//   matches drops it (here and in the store) and the token is validated at Keystone again; without current events
//   a hit older than TOKEN_TRUST_MS is validated again. That check on every read is what keeps the in-process layer
//   right on every replica: events reach each replica through its own polls, and those another replica saw first
//   also through the store's pub/sub (onEvents below drops matching entries at once).
// - The store is a cache: a read that fails or takes longer than STORE_TIMEOUT_MS is a miss (the token is validated
//   at Keystone), a write that fails is skipped. A request never fails because of the store.
import { createHash } from 'node:crypto';
import type { Caller } from '../../core/caller.ts';
import type { SharedStore } from '../../core/shared-store.ts';
import type { TokenFacts } from './map.ts';
import { TOKEN_TRUST_MS, type RevocationWatcher } from './revocations.ts';

/** A store call slower than this is treated as failed: Redis answers in well under a millisecond when healthy. */
const STORE_TIMEOUT_MS = 250;
const MAX_LOCAL = 10_000;

interface Entry {
  caller: Caller;
  facts: TokenFacts;
  /** When the validation that produced this entry was sent (ms): trust without events counts from here. */
  validatedAt: number;
  /** When the entry stops being used: min(expiry, validatedAt + tokenCacheMaxMs). */
  until: number;
}

type StoredCaller = Omit<Caller, 'token' | 'expiresAt'> & { expiresAt: number };
interface Stored {
  v: 1;
  caller: StoredCaller;
  facts: TokenFacts;
  validatedAt: number;
  until: number;
}

const keyOf = (hash: string) => `keystone:token:${hash}`;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`store did not answer within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function encode(entry: Entry): string {
  const { token: _token, expiresAt, ...rest } = entry.caller;
  const stored: Stored = {
    v: 1,
    caller: { ...rest, expiresAt: expiresAt.getTime() },
    facts: entry.facts,
    validatedAt: entry.validatedAt,
    until: entry.until,
  };
  return JSON.stringify(stored);
}

/** The entry a stored value holds, or null for anything unexpected (another version, a corrupted value). */
function decode(text: string, token: string): Entry | null {
  let s: Stored;
  try {
    s = JSON.parse(text) as Stored;
  } catch {
    return null;
  }
  const c = s?.caller;
  if (
    s?.v !== 1 ||
    typeof c?.userId !== 'string' ||
    typeof c.expiresAt !== 'number' ||
    !Array.isArray(c.roles) ||
    !Array.isArray(c.catalog) ||
    typeof s.validatedAt !== 'number' ||
    typeof s.until !== 'number' ||
    !Array.isArray(s.facts?.auditIds)
  )
    return null;
  return { caller: { ...c, token, expiresAt: new Date(c.expiresAt) }, facts: s.facts, validatedAt: s.validatedAt, until: s.until };
}

export class TokenCache {
  /** sha256(token) → entry; bounded, oldest first out. */
  private readonly local = new Map<string, Entry>();

  constructor(
    private readonly store: SharedStore,
    private readonly maxMs: number,
    private readonly revocations: RevocationWatcher | null,
    private readonly now: () => number = Date.now,
  ) {
    revocations?.onEvents(() => this.dropRevoked());
  }

  /** The cached caller for this token, or null: then validate it at Keystone and put() the answer. */
  async get(token: string): Promise<Caller | null> {
    if (this.maxMs === 0) return null;
    const hash = sha256(token);
    let entry = this.local.get(hash) ?? null;
    if (!entry) {
      entry = await this.read(hash, token);
      if (entry) this.keep(hash, entry);
    }
    if (!entry) return null;
    const now = this.now();
    if (entry.until <= now) {
      this.local.delete(hash);
      return null;
    }
    if (this.revocations?.revokes(entry.facts)) {
      this.local.delete(hash);
      void withTimeout(this.store.delete([keyOf(hash)]), STORE_TIMEOUT_MS).catch(() => {});
      return null;
    }
    // Without current revocation events, only a recent validation vouches for the token (revocations.ts).
    if (!this.revocations?.current(now) && now - entry.validatedAt >= TOKEN_TRUST_MS) {
      this.local.delete(hash);
      return null;
    }
    return entry.caller;
  }

  /** Caches a caller Keystone has just vouched for; `validatedAt` is when that validation (or login) was sent. */
  async put(caller: Caller, facts: TokenFacts, validatedAt: number): Promise<void> {
    const until = Math.min(caller.expiresAt.getTime(), validatedAt + this.maxMs);
    const ttl = until - this.now();
    if (this.maxMs === 0 || ttl <= 0) return;
    const hash = sha256(caller.token);
    const entry: Entry = { caller, facts, validatedAt, until };
    this.keep(hash, entry);
    await withTimeout(this.store.set(keyOf(hash), encode(entry), ttl), STORE_TIMEOUT_MS).catch(() => {});
  }

  private async read(hash: string, token: string): Promise<Entry | null> {
    try {
      const text = await withTimeout(this.store.get(keyOf(hash)), STORE_TIMEOUT_MS);
      return text === null ? null : decode(text, token);
    } catch {
      return null;
    }
  }

  private keep(hash: string, entry: Entry): void {
    this.local.delete(hash);
    if (this.local.size >= MAX_LOCAL) {
      let drop = MAX_LOCAL / 10;
      for (const key of this.local.keys()) {
        this.local.delete(key);
        if (--drop === 0) break;
      }
    }
    this.local.set(hash, entry);
  }

  /** New events arrived: drop the in-process entries they end, and the same keys in the store. */
  private dropRevoked(): void {
    const keys: string[] = [];
    for (const [hash, entry] of this.local) {
      if (!this.revocations?.revokes(entry.facts)) continue;
      this.local.delete(hash);
      keys.push(keyOf(hash));
    }
    // Entries only other replicas hold in-process are dropped by their own check; store entries no replica holds
    // are dropped when next read (get() checks every hit).
    if (keys.length) void withTimeout(this.store.delete(keys), STORE_TIMEOUT_MS).catch(() => {});
  }
}

function sha256(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
