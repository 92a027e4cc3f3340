// A circuit breaker per upstream service (`breaker.*` in the config): when an upstream keeps failing, its calls
// fail at once with MOSAIC_ERR_CIRCUIT_OPEN instead of each waiting for a timeout or a refused connection, so a
// dead Nova costs the Nova fields a few microseconds instead of every request `timeoutMs`, and the upstream gets
// room to recover. The pattern: https://martinfowler.com/bliki/CircuitBreaker.html.
//
// - Closed: calls go through; the outcomes of the calls that *ended* in the last `windowMs` are counted in ten
//   buckets. When at least `minCalls` ended and at least `errorPercent`% of them were availability failures, it
//   opens.
// - Open: every call is refused without touching the network, for `openMs`.
// - Half-open: one probe call goes through (the others are still refused); success closes it with a fresh
//   window, an availability failure re-opens it for another `openMs`.
//
// What counts as an availability failure (outcomeOf): no answer at all (refused, reset, timed out) and 5xx
// answers other than 501 — 502/503/504 from a proxy in front of the service, and 500, which OpenStack services
// send for any unhandled exception, in practice their database or message bus being gone. Not counted: 4xx
// (404 lookups, 401/403 policy: the service answered, and about the caller's request), 501 (a missing
// feature, not an outage), and garbled bodies (the service answered in full; a contract mismatch is not healed by
// backing off, and counting it would turn one odd object into an outage of every field the service owns).
// Calls cut short by our own caller going away (the request's AbortSignal) are not counted at all, neither as
// success nor as failure, and an aborted probe leaves the breaker half-open for the next call to probe.
//
// One breaker per service, not per origin: Mosaic serves one region and one interface, so every caller's catalog
// resolves a service to the same endpoint (Keystone and the region controller are configured by URL), and a
// service is the unit errors, metrics and readiness name. The breaker wraps a whole call including got's
// retries of idempotent GETs (client.ts): what a caller sees is the call's outcome, and counting each attempt
// would count one failing call up to `retries + 1` times. Client.ts stops retrying once its breaker is no
// longer closed, so retries do not hammer an upstream that has just been declared down.
//
// Not opossum: it fits on cost (about 0.5 µs a call, measured) but not on semantics. Its errorFilter can only turn
// an error into a *success*, so an aborted half-open probe would close the circuit; its volume threshold counts
// fired calls (in flight and rejected ones included) instead of ended ones; it opens only strictly above the
// percentage; and it runs two interval timers per breaker. This one is timer-free: the clock is read when a call
// asks to go, so state changes (open → half-open included) happen, and are published on the `breaker`
// diagnostics channel, when they are observed.
import type { MosaicConfig } from '../../core/config.ts';
import { channels, type BreakerMessage } from '../../core/diagnostics.ts';
import { MosaicError } from '../../core/errors.ts';

export type BreakerState = BreakerMessage['state'];
export type BreakerSettings = MosaicConfig['breaker'];

/** How a call ended, as a breaker counts it. */
export type Outcome = 'ok' | 'failed' | 'ignored';

/** What enter() grants: an ordinary call, the half-open probe, or nothing (refused: fail at once). */
export type Admission = 'call' | 'probe' | null;

const BUCKETS = 10;

/** How an upstream call's error counts: see the header. `aborted` = our own caller went away. */
export function outcomeOf(err: unknown, aborted: boolean): Outcome {
  if (aborted || !(err instanceof MosaicError)) return 'ignored';
  switch (err.errorName) {
    case 'MOSAIC_ERR_UPSTREAM_TIMEOUT':
    case 'MOSAIC_ERR_UPSTREAM_UNAVAILABLE':
      return 'failed';
    case 'MOSAIC_ERR_UPSTREAM_STATUS': {
      const status = err.upstream?.status ?? 0;
      return status >= 500 && status !== 501 ? 'failed' : 'ok';
    }
    default:
      return 'ok';
  }
}

export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private openedAt = 0;
  private probing = false;
  private readonly bucketMs: number;
  /** A ring of buckets: which time slot each holds, and the calls and failures that ended in it. */
  private readonly slots = new Float64Array(BUCKETS).fill(-Infinity);
  private readonly calls = new Uint32Array(BUCKETS);
  private readonly failures = new Uint32Array(BUCKETS);

  constructor(
    readonly service: string,
    private readonly settings: BreakerSettings,
    private readonly now: () => number = Date.now,
  ) {
    this.bucketMs = settings.windowMs / BUCKETS;
  }

  get state(): BreakerState {
    if (this.current === 'open' && this.now() - this.openedAt >= this.settings.openMs) this.moveTo('halfOpen');
    return this.current;
  }

  /** Asks to make a call. Refused (null) while open, and while half-open with the probe under way. */
  enter(): Admission {
    const state = this.state;
    if (state === 'closed') return 'call';
    if (state === 'halfOpen' && !this.probing) {
      this.probing = true;
      return 'probe';
    }
    return null;
  }

  /** Reports how an admitted call ended. */
  leave(admission: 'call' | 'probe', outcome: Outcome): void {
    if (admission === 'probe') {
      this.probing = false;
      if (outcome === 'ok') this.close();
      else if (outcome === 'failed') this.open();
      return;
    }
    // While open or half-open only the probe decides: late answers of calls let through before do not.
    if (outcome === 'ignored' || this.current !== 'closed') return;
    const slot = Math.floor(this.now() / this.bucketMs);
    const i = slot % BUCKETS;
    if (this.slots[i] !== slot) {
      this.slots[i] = slot;
      this.calls[i] = 0;
      this.failures[i] = 0;
    }
    this.calls[i]++;
    if (outcome !== 'failed') return;
    this.failures[i]++;
    let calls = 0;
    let failures = 0;
    for (let j = 0; j < BUCKETS; j++) {
      if (this.slots[j] > slot - BUCKETS) {
        calls += this.calls[j];
        failures += this.failures[j];
      }
    }
    if (calls >= this.settings.minCalls && failures * 100 >= this.settings.errorPercent * calls) this.open();
  }

  private open(): void {
    this.openedAt = this.now();
    this.moveTo('open');
  }

  private close(): void {
    this.slots.fill(-Infinity);
    this.calls.fill(0);
    this.failures.fill(0);
    this.moveTo('closed');
  }

  private moveTo(state: BreakerState): void {
    if (this.current === state) return;
    this.current = state;
    if (channels.breaker.hasSubscribers) channels.breaker.publish({ service: this.service, state } satisfies BreakerMessage);
  }
}

/** The breakers of one HttpStack (long-lived, shared by every request), one per upstream service, made on first use. */
export class Breakers {
  private readonly byService = new Map<string, CircuitBreaker>();

  constructor(
    private readonly settings: BreakerSettings,
    private readonly now: () => number = Date.now,
  ) {}

  /** The breaker guarding `service`; undefined when breakers are off (`breaker.enabled: false`). */
  for(service: string): CircuitBreaker | undefined {
    if (!this.settings.enabled) return undefined;
    let breaker = this.byService.get(service);
    if (!breaker) {
      breaker = new CircuitBreaker(service, this.settings, this.now);
      this.byService.set(service, breaker);
    }
    return breaker;
  }

  /** The state of `service`'s breaker, for readiness and metrics; `closed` for one not called yet or when off. */
  state(service: string): BreakerState {
    return this.byService.get(service)?.state ?? 'closed';
  }

  /** Every breaker's state, by service (those called at least once). */
  states(): Record<string, BreakerState> {
    const out: Record<string, BreakerState> = {};
    for (const [service, breaker] of this.byService) out[service] = breaker.state;
    return out;
  }
}
