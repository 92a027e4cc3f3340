// One WebSocket connection's subscriptions: who it is (authenticated once at connection_init from connectionParams,
// through server/context.ts createContext like any request), what it may hold (events.maxSubscriptionsPerConnection,
// and events.maxSubscriptionsPerCaller across the caller's connections to this gateway), and the context its
// events execute in. That context is one object for the connection's lifetime — both runtimes take it once — but
// an event must not read another event's cached loaders, so its request-scoped parts (upstream client, loaders,
// metric loaders) delegate to a RequestContext made anew before each event (refresh()), which also checks the
// token again: a token revoked at Keystone stops its subscriptions at the next event.
import { randomUUID } from 'node:crypto';
import { MosaicError } from '../../core/errors.ts';
import type { Caller } from '../../core/caller.ts';
import type { Services } from '../services.ts';
import { createContext, type RequestContext } from '../context.ts';
import type { SubscriptionSession as SessionApi } from '../../resolvers/subscriptions.ts';

/** Open subscriptions per caller (the token's user), across this gateway's connections. */
export class CallerBudgets {
  private readonly open = new Map<string, number>();
  constructor(private readonly max: number) {}
  take(userId: string): () => void {
    const n = this.open.get(userId) ?? 0;
    if (n >= this.max) {
      throw new MosaicError(
        'MOSAIC_ERR_TOO_MANY_SUBSCRIPTIONS',
        `This caller already has ${n} subscriptions open; the limit is ${this.max} (events.maxSubscriptionsPerCaller).`,
      );
    }
    this.open.set(userId, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.open.get(userId) ?? 1) - 1;
      if (left > 0) this.open.set(userId, left);
      else this.open.delete(userId);
    };
  }
}

/** The token headers from a connection_init payload: `x-auth-token` / `authorization` (any case), or under `headers`. */
export function headersOf(params: unknown): Record<string, string> {
  const source = (typeof params === 'object' && params !== null ? params : {}) as Record<string, unknown>;
  const nested = typeof source.headers === 'object' && source.headers !== null ? (source.headers as Record<string, unknown>) : {};
  const headers: Record<string, string> = {};
  for (const [k, v] of [...Object.entries(nested), ...Object.entries(source)]) {
    const key = k.toLowerCase();
    if ((key === 'x-auth-token' || key === 'authorization') && typeof v === 'string') headers[key] = v;
  }
  return headers;
}

/** Delegates every property read to what `target()` returns now, methods bound to it. */
function delegate<T extends object>(target: () => T): T {
  return new Proxy({} as T, {
    get(_, key) {
      const t = target();
      const value = Reflect.get(t, key, t);
      return typeof value === 'function' ? value.bind(t) : value;
    },
    has: (_, key) => Reflect.has(target(), key),
  });
}

export class SubscriptionSession implements SessionApi {
  private open = 0;
  /** The context fields both runtimes copy into each subscription's context: plain own properties. */
  readonly context: Record<string, unknown>;

  private constructor(
    private readonly services: Services,
    private readonly headers: Record<string, string>,
    private current: RequestContext,
    readonly caller: Caller,
    private readonly budgets: CallerBudgets,
  ) {
    this.context = {
      requestId: current.requestId,
      services,
      callerOrNull: caller,
      authError: null,
      caller,
      upstream: delegate(() => this.current.upstream),
      loaders: delegate(() => this.current.loaders),
      metrics: delegate(() => this.current.metrics),
      subscriptionSession: this,
    };
  }

  /** Authenticates a connection_init payload; null when it carries no valid token (the runtimes refuse: 4403). */
  static async open(services: Services, params: unknown, budgets: CallerBudgets): Promise<SubscriptionSession | null> {
    const headers = headersOf(params);
    const ctx = await createContext(services, headers, undefined, `ws-${randomUUID()}`);
    return ctx.callerOrNull ? new SubscriptionSession(services, headers, ctx, ctx.callerOrNull, budgets) : null;
  }

  admit(): () => void {
    const max = this.services.config.events.maxSubscriptionsPerConnection;
    if (this.open >= max) {
      throw new MosaicError(
        'MOSAIC_ERR_TOO_MANY_SUBSCRIPTIONS',
        `This connection already has ${this.open} subscriptions open; the limit is ${max} (events.maxSubscriptionsPerConnection).`,
      );
    }
    const releaseCaller = this.budgets.take(this.caller.userId);
    this.open++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.open--;
      releaseCaller();
    };
  }

  async refresh(): Promise<void> {
    const next = await createContext(this.services, this.headers, undefined, this.current.requestId);
    if (!next.callerOrNull) throw next.authError ?? new MosaicError('MOSAIC_ERR_BAD_TOKEN');
    this.current = next;
  }
}
