// The circuit breaker (datasources/http/breaker.ts) as a pure state machine on a fake clock: when it opens,
// what it counts, the half-open probe, and what it publishes on the `breaker` diagnostics channel. The gateway
// wiring is checked end to end in test/gateway/circuit-breaker.test.ts.
import diagnostics from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import { Breakers, CircuitBreaker, outcomeOf, type BreakerSettings, type Outcome } from '../../datasources/http/breaker.ts';
import { channels, type BreakerMessage } from '../../core/diagnostics.ts';
import { MosaicError } from '../../core/errors.ts';
import { statusError, transportError } from '../../datasources/http/status-error.ts';

const SETTINGS: BreakerSettings = { enabled: true, windowMs: 10_000, minCalls: 4, errorPercent: 50, openMs: 1_000 };

function fakeClock(start = 1_000_000) {
  const clock = { t: start, now: () => clock.t, advance: (ms: number) => void (clock.t += ms) };
  return clock;
}

/** Runs one admitted call to its end with `outcome`; false when the breaker refused it. */
function call(breaker: CircuitBreaker, outcome: Outcome): boolean {
  const admission = breaker.enter();
  if (admission === null) return false;
  breaker.leave(admission, outcome);
  return true;
}

const published: BreakerMessage[] = [];
const onBreaker = (message: unknown) => published.push(message as BreakerMessage);
afterEach(() => {
  diagnostics.unsubscribe('mosaic.breaker', onBreaker);
  published.length = 0;
});

describe('CircuitBreaker', () => {
  it('stays closed while fewer than minCalls calls have ended, however many of them failed', () => {
    const breaker = new CircuitBreaker('nova', SETTINGS, fakeClock().now);
    for (let i = 0; i < SETTINGS.minCalls - 1; i++) expect(call(breaker, 'failed')).toBe(true);
    expect(breaker.state).toBe('closed');
  });

  it('opens when errorPercent of at least minCalls ended calls failed, then refuses every call', () => {
    const breaker = new CircuitBreaker('nova', SETTINGS, fakeClock().now);
    call(breaker, 'ok');
    call(breaker, 'ok');
    call(breaker, 'failed');
    expect(breaker.state).toBe('closed');
    call(breaker, 'failed'); // 2 of 4: exactly 50 %
    expect(breaker.state).toBe('open');
    expect(breaker.enter()).toBeNull();
  });

  it('stays closed while failures stay under errorPercent', () => {
    const breaker = new CircuitBreaker('nova', SETTINGS, fakeClock().now);
    for (let i = 0; i < 50; i++) {
      call(breaker, 'ok');
      call(breaker, 'ok');
      call(breaker, 'failed');
    }
    expect(breaker.state).toBe('closed');
  });

  it('forgets outcomes older than windowMs', () => {
    const clock = fakeClock();
    const breaker = new CircuitBreaker('nova', SETTINGS, clock.now);
    for (let i = 0; i < 3; i++) call(breaker, 'failed');
    clock.advance(SETTINGS.windowMs + 1);
    call(breaker, 'ok');
    call(breaker, 'ok');
    call(breaker, 'ok');
    call(breaker, 'failed'); // 1 of the 4 calls still in the window
    expect(breaker.state).toBe('closed');
  });

  it('does not count calls ignored because our own caller went away', () => {
    const breaker = new CircuitBreaker('nova', SETTINGS, fakeClock().now);
    for (let i = 0; i < 20; i++) call(breaker, 'ignored');
    call(breaker, 'failed');
    call(breaker, 'failed');
    expect(breaker.state).toBe('closed'); // 2 ended calls, under minCalls
  });

  it('lets exactly one probe through after openMs, and closes with a fresh window when it succeeds', () => {
    const clock = fakeClock();
    const breaker = new CircuitBreaker('nova', SETTINGS, clock.now);
    for (let i = 0; i < 4; i++) call(breaker, 'failed');
    clock.advance(SETTINGS.openMs - 1);
    expect(breaker.enter()).toBeNull();
    clock.advance(1);
    expect(breaker.state).toBe('halfOpen');
    const probe = breaker.enter();
    expect(probe).toBe('probe');
    expect(breaker.enter()).toBeNull(); // the probe is under way: everyone else still fails fast
    breaker.leave(probe!, 'ok');
    expect(breaker.state).toBe('closed');
    // The failures before the probe are forgotten: three more do not reach minCalls.
    for (let i = 0; i < 3; i++) call(breaker, 'failed');
    expect(breaker.state).toBe('closed');
  });

  it('re-opens for another openMs when the probe fails', () => {
    const clock = fakeClock();
    const breaker = new CircuitBreaker('nova', SETTINGS, clock.now);
    for (let i = 0; i < 4; i++) call(breaker, 'failed');
    clock.advance(SETTINGS.openMs);
    expect(call(breaker, 'failed')).toBe(true);
    expect(breaker.state).toBe('open');
    clock.advance(SETTINGS.openMs - 1);
    expect(breaker.enter()).toBeNull();
    clock.advance(1);
    expect(breaker.enter()).toBe('probe');
  });

  it('stays half-open after an aborted probe, so the next call probes', () => {
    const clock = fakeClock();
    const breaker = new CircuitBreaker('nova', SETTINGS, clock.now);
    for (let i = 0; i < 4; i++) call(breaker, 'failed');
    clock.advance(SETTINGS.openMs);
    breaker.leave(breaker.enter()!, 'ignored');
    expect(breaker.state).toBe('halfOpen');
    expect(breaker.enter()).toBe('probe');
  });

  it('lets only the probe decide: calls admitted before it opened do not close or re-open it', () => {
    const clock = fakeClock();
    const breaker = new CircuitBreaker('nova', SETTINGS, clock.now);
    const early = [breaker.enter(), breaker.enter()];
    for (let i = 0; i < 4; i++) call(breaker, 'failed');
    clock.advance(SETTINGS.openMs);
    const probe = breaker.enter()!;
    breaker.leave(early[0]!, 'ok');
    breaker.leave(early[1]!, 'failed');
    expect(breaker.state).toBe('halfOpen');
    breaker.leave(probe, 'failed');
    expect(breaker.state).toBe('open');
  });

  it('publishes each state change, with its service, on the breaker channel', () => {
    diagnostics.subscribe('mosaic.breaker', onBreaker);
    expect(channels.breaker.hasSubscribers).toBe(true);
    const clock = fakeClock();
    const breaker = new CircuitBreaker('cinder', SETTINGS, clock.now);
    for (let i = 0; i < 6; i++) call(breaker, 'failed');
    clock.advance(SETTINGS.openMs);
    call(breaker, 'ok');
    expect(published).toEqual([
      { service: 'cinder', state: 'open' },
      { service: 'cinder', state: 'halfOpen' },
      { service: 'cinder', state: 'closed' },
    ]);
  });
});

describe('Breakers', () => {
  it('keeps one breaker per service and reports each state', () => {
    const clock = fakeClock();
    const breakers = new Breakers(SETTINGS, clock.now);
    expect(breakers.for('nova')).toBe(breakers.for('nova'));
    for (let i = 0; i < 4; i++) call(breakers.for('nova')!, 'failed');
    call(breakers.for('glance')!, 'ok');
    expect(breakers.state('nova')).toBe('open');
    expect(breakers.state('neutron')).toBe('closed');
    expect(breakers.states()).toEqual({ nova: 'open', glance: 'closed' });
    clock.advance(SETTINGS.openMs);
    expect(breakers.states()).toEqual({ nova: 'halfOpen', glance: 'closed' });
  });

  it('has no breakers when breaker.enabled is false', () => {
    const breakers = new Breakers({ ...SETTINGS, enabled: false });
    expect(breakers.for('nova')).toBeUndefined();
    expect(breakers.state('nova')).toBe('closed');
    expect(breakers.states()).toEqual({});
  });
});

describe('outcomeOf', () => {
  const refused = transportError('nova', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));

  it('counts transport failures, timeouts and 5xx other than 501 as availability failures', () => {
    expect(outcomeOf(refused, false)).toBe('failed');
    expect(outcomeOf(new MosaicError('MOSAIC_ERR_UPSTREAM_TIMEOUT', undefined, { service: 'nova' }), false)).toBe('failed');
    for (const status of [500, 502, 503, 504, 507]) expect(outcomeOf(statusError('nova', status, undefined), false), `HTTP ${status}`).toBe('failed');
  });

  it('counts 4xx, 404 lookups, 501 and garbled bodies as answers: the service is up', () => {
    for (const status of [400, 401, 403, 404, 409, 413, 429, 501])
      expect(outcomeOf(statusError('nova', status, undefined), false), `HTTP ${status}`).toBe('ok');
    expect(outcomeOf(new MosaicError('MOSAIC_ERR_UPSTREAM_GARBLED', undefined, { service: 'nova', status: 200 }), false)).toBe('ok');
  });

  it('ignores calls our own caller aborted, and errors that are not an upstream failure', () => {
    expect(outcomeOf(refused, true)).toBe('ignored');
    expect(outcomeOf(new TypeError('a bug of ours'), false)).toBe('ignored');
  });
});
