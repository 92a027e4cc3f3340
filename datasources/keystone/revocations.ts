// The RevocationWatcher: keeps this gateway's list of Keystone revocation events current, so a token revoked at
// Keystone stops working here within 5 s although validated tokens are cached for minutes (keystone.tokenCacheMaxMs).
// Long-lived, one per gateway (KeystoneAuth builds it; server/services.ts starts and stops it).
//
// - It logs in with Mosaic's own service account (keystone.serviceUser/servicePassword, scoped to serviceProject;
//   identity:list_revoke_events allows the admin or service role) and reads GET /v3/OS-REVOKE/events every
//   keystone.revocationPollMs (https://docs.openstack.org/api-ref/identity/v3/#list-revocation-events), asking only
//   for events revoked since the newest one it has seen, minus OVERLAP_MS: Keystone keeps revoked_at to the second
//   and filters with a strict `>`, and several Keystone nodes' clocks differ a little, so an event recorded late
//   in that second (or on a slower node) would otherwise be skipped. Events seen twice count once.
// - It logs in again when its token nears its expiry or Keystone answers 401, and never throws: Keystone down only
//   leaves `status().lastError` set (for readiness) and the next attempt RETRY_MS later, so the events are read
//   again soon after a blip; a poll that hangs (Keystone slower than its timeout) lets a second one start after
//   HUNG_MS. Its timer is unref'd.
// - Its calls use the HTTP stack's agents, Keystone's timeout and the upstream diagnostics channels, but not the
//   per-request UpstreamClient and so not Keystone's circuit breaker: one call per interval needs no protection, and a breaker held open for
//   breaker.openMs (5 s) after a Keystone blip would keep the events unread for longer than cached tokens are
//   trusted without them — every cached token would then go back to Keystone just as it recovers.
// - Every replica polls for itself: correctness never depends on another replica. What one replica learns first it
//   also publishes on the SharedStore (pub/sub), so the others drop the token from their in-process layer at once
//   instead of at their own next poll; Redis pub/sub delivers at most once, which is fine for a speed-up.
// - The 5 s bound in every mode: cached tokens are trusted until they expire only while `current()`, i.e. a poll
//   that started less than TOKEN_TRUST_MS ago has succeeded. Without a service account, with polling off, or once
//   polls have failed that long, a token validated more than TOKEN_TRUST_MS ago is validated at Keystone again
//   (token-cache.ts), and Keystone answers 404 for a revoked one. TOKEN_TRUST_MS is 4.5 s, not 5, so the
//   re-validation (or the poll) that ends a revoked token has half a second to come back inside the 5 s.
import type http from 'node:http';
import type { MosaicConfig } from '../../core/config.ts';
import type { SharedStore } from '../../core/shared-store.ts';
import { MosaicError } from '../../core/errors.ts';
import { channels, routeOf, type UpstreamCallMessage } from '../../core/diagnostics.ts';
import type { HttpStack } from '../http/client.ts';
import { statusError, transportError, upstreamRequestId } from '../http/status-error.ts';
import { RETRY_METHODS, retryLimit } from '../http/retry-policy.ts';
import type { TokenFacts } from './map.ts';
import { RevocationList, type RevokeEvent } from './revoke-events.ts';

/** How long a validated token is trusted without current revocation events (see the header). */
export const TOKEN_TRUST_MS = 4_500;
/** How far before the newest revoked_at seen the next poll starts (see the header). */
const OVERLAP_MS = 10_000;
/** After a failed poll, the next attempt comes sooner than revocationPollMs. */
const RETRY_MS = 200;
/** A poll still running after this much does not hold the next one back (at most MAX_IN_FLIGHT run at once). */
const HUNG_MS = 1_000;
const MAX_IN_FLIGHT = 2;
/** The service token is renewed this long before it expires. */
const RENEW_MS = 60_000;
/** Clock difference between replicas tolerated when forgetting events (see RevocationList). */
const SKEW_MS = 60_000;
/** The SharedStore channel replicas pass new events on. */
export const REVOCATIONS_CHANNEL = 'keystone:revocations';

export interface RevocationStatus {
  /** A poll that started less than TOKEN_TRUST_MS ago succeeded: cached tokens are trusted until they expire. */
  current: boolean;
  /** When the last successful poll started (ISO 8601), or null. */
  lastSuccessAt: string | null;
  /** Why the last poll failed (no credentials in it), or null after a success. */
  lastError: string | null;
  /** Events known. */
  events: number;
}

export class RevocationWatcher {
  private readonly list: RevocationList;
  private readonly listeners = new Set<(events: RevokeEvent[]) => void>();
  private token: { id: string; expiresAt: number } | null = null;
  /** The newest revoked_at from this replica's own polls (never from pub/sub: a lost message must not move it). */
  private newestPolled: number | null = null;
  private lastSuccessStart: number | null = null;
  private lastError: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private inFlight = 0;
  private unsubscribe: (() => Promise<void>) | null = null;

  /** Whether the configuration asks for one: a service account and a poll interval. */
  static configured(config: MosaicConfig): boolean {
    return config.keystone.serviceUser !== '' && config.keystone.revocationPollMs > 0;
  }

  constructor(
    private readonly stack: HttpStack,
    private readonly store: SharedStore,
    private readonly now: () => number = Date.now,
  ) {
    this.list = new RevocationList(stack.config.keystone.tokenCacheMaxMs + SKEW_MS);
  }

  private get config() {
    return this.stack.config.keystone;
  }

  /** Starts polling at once, and listening to the other replicas. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.store
      .subscribe(REVOCATIONS_CHANNEL, (message) => this.receive(message))
      .then(
        (unsubscribe) => {
          if (this.running) this.unsubscribe = unsubscribe;
          else void unsubscribe().catch(() => {});
        },
        // Without pub/sub this replica still learns every event from its own polls.
        () => {},
      );
    this.reschedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const unsubscribe = this.unsubscribe;
    this.unsubscribe = null;
    await unsubscribe?.().catch(() => {});
  }

  current(now = this.now()): boolean {
    return this.lastSuccessStart !== null && now - this.lastSuccessStart < TOKEN_TRUST_MS;
  }

  /** Whether a known event ends the token. */
  revokes(facts: TokenFacts): boolean {
    return this.list.revokes(facts);
  }

  /** Calls `listener` with every batch of events new to this replica, from its polls or from another replica. */
  onEvents(listener: (events: RevokeEvent[]) => void): void {
    this.listeners.add(listener);
  }

  status(): RevocationStatus {
    return {
      current: this.current(),
      lastSuccessAt: this.lastSuccessStart === null ? null : new Date(this.lastSuccessStart).toISOString(),
      lastError: this.lastError,
      events: this.list.size,
    };
  }

  /** One poll; never throws (a failure is kept in `status().lastError`). */
  async poll(): Promise<void> {
    const started = this.now();
    try {
      const events = await this.fetchEvents();
      for (const e of events) {
        const at = Date.parse((e as { revoked_at?: string })?.revoked_at ?? '');
        if (!Number.isNaN(at) && (this.newestPolled === null || at > this.newestPolled)) this.newestPolled = at;
      }
      const fresh = this.list.add(events, this.now());
      if (this.lastSuccessStart === null || started > this.lastSuccessStart) this.lastSuccessStart = started;
      this.lastError = null;
      if (fresh.length) {
        this.notify(fresh);
        await this.store.publish(REVOCATIONS_CHANNEL, JSON.stringify({ events: fresh.map((e) => e.raw) })).catch(() => {});
      }
    } catch (err) {
      this.lastError = err instanceof Error ? err.message : String(err);
    }
  }

  /** The one timer: the next poll in `delayMs`. */
  private reschedule(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.running) return;
    this.timer = setTimeout(() => this.tick(), delayMs);
    // Polling never keeps the process alive on its own.
    this.timer.unref();
  }

  private tick(): void {
    this.timer = null;
    if (!this.running) return;
    this.inFlight++;
    void this.poll().then(() => {
      // The last poll to finish decides when the next one starts.
      if (--this.inFlight === 0) this.reschedule(this.lastError ? Math.min(RETRY_MS, this.config.revocationPollMs) : this.config.revocationPollMs);
    });
    if (this.inFlight < MAX_IN_FLIGHT) this.reschedule(HUNG_MS);
  }

  private receive(message: string): void {
    let events: unknown;
    try {
      events = (JSON.parse(message) as { events?: unknown }).events;
    } catch {
      return;
    }
    if (!Array.isArray(events)) return;
    const fresh = this.list.add(events, this.now());
    if (fresh.length) this.notify(fresh);
  }

  private notify(events: RevokeEvent[]): void {
    for (const listener of this.listeners) {
      try {
        listener(events);
      } catch {
        // A listener's bug must not stop the polling (the events are kept and checked on every cache hit anyway).
      }
    }
  }

  private async fetchEvents(): Promise<unknown[]> {
    const since = this.newestPolled === null ? '' : `?since=${encodeURIComponent(new Date(this.newestPolled - OVERLAP_MS).toISOString())}`;
    const url = `${this.config.url}/OS-REVOKE/events${since}`;
    let res = await this.call('GET', url, { 'x-auth-token': await this.serviceToken() });
    if (res.status === 401) {
      // Our token was revoked, or Keystone's keys rotated past it: log in again, once.
      this.token = null;
      res = await this.call('GET', url, { 'x-auth-token': await this.serviceToken() });
    }
    if (res.status !== 200) throw statusError('keystone', res.status, res.body, upstreamRequestId(res.headers));
    const events = (res.body as { events?: unknown })?.events;
    if (!Array.isArray(events))
      throw new MosaicError('MOSAIC_ERR_UPSTREAM_GARBLED', 'keystone answered OS-REVOKE/events without an events list', { service: 'keystone' });
    return events;
  }

  /** The service account's token, logging in when there is none or it is about to expire. */
  private async serviceToken(): Promise<string> {
    if (this.token && this.token.expiresAt - this.now() > RENEW_MS) return this.token.id;
    const { serviceUser, servicePassword, serviceProject } = this.config;
    const res = await this.call(
      'POST',
      `${this.config.url}/auth/tokens?nocatalog`,
      {},
      {
        auth: {
          identity: { methods: ['password'], password: { user: { name: serviceUser, domain: { id: 'default' }, password: servicePassword } } },
          scope: { project: { name: serviceProject, domain: { id: 'default' } } },
        },
      },
    );
    if (res.status === 401 || res.status === 400) throw new Error(`keystone refused the service account "${serviceUser}" (${res.status})`);
    if (res.status !== 201) throw statusError('keystone', res.status, res.body, upstreamRequestId(res.headers));
    const id = res.headers['x-subject-token'];
    const expiresAt = Date.parse((res.body as { token?: { expires_at?: string } })?.token?.expires_at ?? '');
    if (typeof id !== 'string' || Number.isNaN(expiresAt)) throw new Error('keystone issued the service account no usable token');
    this.token = { id, expiresAt };
    return id;
  }

  /**
   * One call to Keystone; any status is an answer. Published on the upstream channels like every other upstream
   * call (core/diagnostics.ts), so metrics and traces count the polls too.
   */
  private async call(
    method: 'GET' | 'POST',
    url: string,
    headers: Record<string, string>,
    json?: unknown,
  ): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: unknown }> {
    const settings = this.stack.config.upstreams.keystone;
    const sent: Record<string, string> = { accept: 'application/json', ...headers };
    const call: UpstreamCallMessage | undefined =
      channels.upstreamStart.hasSubscribers || channels.upstreamEnd.hasSubscribers
        ? { service: 'keystone', method, route: routeOf(url), url, headers: sent }
        : undefined;
    if (call && channels.upstreamStart.hasSubscribers) channels.upstreamStart.publish(call);
    const started = performance.now();
    try {
      let res;
      try {
        res = await this.stack.got(url, {
          method,
          headers: sent,
          json,
          timeout: { request: settings.timeoutMs },
          // Keystone's retry policy (GET only: a login is a POST), so a stale kept-alive connection costs no poll.
          retry: { limit: retryLimit(method, settings.retries), methods: [...RETRY_METHODS] },
        });
      } catch (err) {
        throw transportError('keystone', err);
      }
      const text = res.body as string;
      if (call) {
        call.status = res.statusCode;
        call.bytes = Buffer.byteLength(text);
      }
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch (err) {
        throw new MosaicError(
          'MOSAIC_ERR_UPSTREAM_GARBLED',
          'keystone answered with a malformed body',
          { service: 'keystone', status: res.statusCode },
          { cause: err },
        );
      }
      return { status: res.statusCode, headers: res.headers, body };
    } catch (err) {
      if (call) call.error = err as Error;
      throw err;
    } finally {
      if (call) {
        call.durationMs = performance.now() - started;
        if (channels.upstreamEnd.hasSubscribers) channels.upstreamEnd.publish(call);
      }
    }
  }
}
