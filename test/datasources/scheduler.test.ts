// BatchScheduler (datasources/planner/scheduler.ts) driven by a fake clock: when queued DataLoader dispatches run
// (idle, after in-flight calls settle, at maxWaitMs), and how a real DataLoader's keys land in one batch.
import { describe, expect, it } from 'vitest';
import DataLoader from 'dataloader';
import { BatchScheduler, type SchedulerClock } from '../../datasources/planner/scheduler.ts';
import { deferred } from '../helpers/deferred.ts';

/** Timers with due times and a queue of immediates, moved only by advance() and runImmediates(). */
class FakeClock implements SchedulerClock {
  now = 0;
  timersSet = 0;
  timersCleared = 0;
  private nextId = 1;
  private timers: { id: number; due: number; fn: () => void }[] = [];
  private immediates: (() => void)[] = [];

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timersSet++;
    this.timers.push({ id, due: this.now + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    const before = this.timers.length;
    this.timers = this.timers.filter((t) => t.id !== handle);
    if (this.timers.length < before) this.timersCleared++;
  }

  setImmediate(fn: () => void): void {
    this.immediates.push(fn);
  }

  /** Moves time forward, firing due timers in due order. */
  advance(ms: number): void {
    const until = this.now + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.due <= until).sort((a, b) => a.due - b.due || a.id - b.id)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.now = due.due;
      due.fn();
    }
    this.now = until;
  }

  /** Runs the immediates queued so far (ones they queue wait for the next call, as in Node). */
  runImmediates(): void {
    const queued = this.immediates;
    this.immediates = [];
    for (const fn of queued) fn();
  }

  get pendingTimers(): number {
    return this.timers.length;
  }

  get pendingImmediates(): number {
    return this.immediates.length;
  }
}

/** A dispatch function that records its runs in `log` under `name`. */
const recorder = (log: string[], name: string) => () => void log.push(name);

describe('BatchScheduler', () => {
  it('runs a scheduled dispatch at the next immediate when nothing is in flight', () => {
    const clock = new FakeClock();
    const scheduler = new BatchScheduler(50, clock);
    const log: string[] = [];
    scheduler.schedule(recorder(log, 'd1'));
    expect(log).toEqual([]);
    expect(clock.pendingImmediates).toBe(1);
    clock.runImmediates();
    expect(log).toEqual(['d1']);
  });

  it('waits while a tracked call is pending and runs once it has settled', async () => {
    const clock = new FakeClock();
    const scheduler = new BatchScheduler(50, clock);
    const upstream = deferred<string>();
    expect(scheduler.track(upstream.promise)).toBe(upstream.promise);
    const log: string[] = [];
    scheduler.schedule(recorder(log, 'd1'));
    clock.runImmediates();
    expect(log).toEqual([]);
    expect(clock.pendingImmediates).toBe(0);

    upstream.resolve('hosts of zone 1');
    await upstream.promise;
    expect(log).toEqual([]); // the check is queued, not run inline
    clock.runImmediates();
    expect(log).toEqual(['d1']);
  });

  it('treats a rejected tracked call as settled too', async () => {
    const clock = new FakeClock();
    const scheduler = new BatchScheduler(50, clock);
    const upstream = deferred<string>();
    scheduler.track(upstream.promise);
    const log: string[] = [];
    scheduler.schedule(recorder(log, 'd1'));
    clock.runImmediates();
    expect(log).toEqual([]);
    upstream.reject(new Error('nova answered 503'));
    await upstream.promise.catch(() => undefined);
    clock.runImmediates();
    expect(log).toEqual(['d1']);
  });

  it('waits for the last of several tracked calls', async () => {
    const clock = new FakeClock();
    const scheduler = new BatchScheduler(50, clock);
    const zone1 = deferred<string>();
    const zone2 = deferred<string>();
    scheduler.track(zone1.promise);
    scheduler.track(zone2.promise);
    const log: string[] = [];
    scheduler.schedule(recorder(log, 'd1'));
    clock.runImmediates();

    zone1.resolve('z1');
    await zone1.promise;
    clock.runImmediates();
    expect(log).toEqual([]);

    zone2.resolve('z2');
    await zone2.promise;
    clock.runImmediates();
    expect(log).toEqual(['d1']);
  });

  it('runs at maxWaitMs even while a tracked call is still in flight', () => {
    const clock = new FakeClock();
    const scheduler = new BatchScheduler(50, clock);
    scheduler.track(deferred<string>().promise); // never settles
    const log: string[] = [];
    scheduler.schedule(recorder(log, 'd1'));
    clock.runImmediates();
    clock.advance(49);
    expect(log).toEqual([]);
    clock.advance(1);
    expect(log).toEqual(['d1']);
    expect(clock.now).toBe(50);
  });

  it('runs every dispatch queued in one window together, in the order queued', async () => {
    const clock = new FakeClock();
    const scheduler = new BatchScheduler(50, clock);
    const upstream = deferred<string>();
    scheduler.track(upstream.promise);
    const log: string[] = [];
    scheduler.schedule(recorder(log, 'servers'));
    clock.runImmediates();
    clock.advance(10);
    scheduler.schedule(recorder(log, 'volumes'));
    clock.runImmediates();
    scheduler.schedule(recorder(log, 'ports'));
    expect(log).toEqual([]);

    upstream.resolve('done');
    await upstream.promise;
    clock.runImmediates();
    expect(log).toEqual(['servers', 'volumes', 'ports']);
    // Nothing is left over for a later flush.
    clock.advance(1000);
    clock.runImmediates();
    expect(log).toEqual(['servers', 'volumes', 'ports']);
  });

  it('sets one timer per window, not one per dispatch', () => {
    const clock = new FakeClock();
    const scheduler = new BatchScheduler(50, clock);
    scheduler.track(deferred<string>().promise);
    const log: string[] = [];
    scheduler.schedule(recorder(log, 'd1'));
    scheduler.schedule(recorder(log, 'd2'));
    scheduler.schedule(recorder(log, 'd3'));
    expect(clock.timersSet).toBe(1);
    expect(clock.pendingTimers).toBe(1);
    expect(clock.pendingImmediates).toBe(1);
    clock.advance(50);
    expect(log).toEqual(['d1', 'd2', 'd3']);
  });

  it('clears the timer after a flush, so the old timer never flushes a later window early', async () => {
    const clock = new FakeClock();
    const scheduler = new BatchScheduler(50, clock);
    const log: string[] = [];
    scheduler.schedule(recorder(log, 'd1')); // window 1 opens at t=0, timer due at 50
    clock.runImmediates();
    expect(log).toEqual(['d1']);
    expect(clock.timersCleared).toBe(1);
    expect(clock.pendingTimers).toBe(0);

    clock.advance(30);
    const upstream = deferred<string>();
    scheduler.track(upstream.promise);
    scheduler.schedule(recorder(log, 'd2')); // window 2 opens at t=30, its own timer due at 80
    clock.runImmediates();
    clock.advance(20); // t=50: window 1's timer would have fired here
    expect(log).toEqual(['d1']);
    clock.advance(29); // t=79
    expect(log).toEqual(['d1']);
    clock.advance(1); // t=80
    expect(log).toEqual(['d1', 'd2']);

    // The tracked call settling afterwards finds nothing waiting: no second run of d2.
    upstream.resolve('late');
    await upstream.promise;
    clock.runImmediates();
    expect(log).toEqual(['d1', 'd2']);
    expect(clock.timersSet).toBe(2);
  });

  it('sets no timer with maxWaitMs 0, so a batch waits for in-flight calls however long they take', async () => {
    const clock = new FakeClock();
    const scheduler = new BatchScheduler(0, clock);
    const log: string[] = [];
    scheduler.schedule(recorder(log, 'idle'));
    clock.runImmediates();
    expect(log).toEqual(['idle']);

    const upstream = deferred<string>();
    scheduler.track(upstream.promise);
    scheduler.schedule(recorder(log, 'busy'));
    clock.runImmediates();
    clock.advance(60_000);
    expect(log).toEqual(['idle']);
    expect(clock.timersSet).toBe(0);
    expect(clock.pendingTimers).toBe(0);

    upstream.resolve('finally');
    await upstream.promise;
    clock.runImmediates();
    expect(log).toEqual(['idle', 'busy']);
  });

  it('puts keys enqueued on different ticks into ONE DataLoader batch while a tracked call is in flight (dataloader#276)', async () => {
    const clock = new FakeClock();
    const scheduler = new BatchScheduler(50, clock);
    const batches: string[][] = [];
    const hostsByName = new DataLoader<string, string>(
      async (keys) => {
        batches.push([...keys]);
        return keys.map((k) => k.toUpperCase());
      },
      { batchScheduleFn: scheduler.schedule },
    );

    // Zone 1's host list has arrived; zones 2 and 3 are still on their way.
    const zone2 = deferred<string[]>();
    const zone3 = deferred<string[]>();
    scheduler.track(zone2.promise);
    scheduler.track(zone3.promise);
    const loads = [hostsByName.load('h1')];
    clock.runImmediates();
    expect(batches).toEqual([]);

    zone2.resolve(['h2']);
    for (const h of await zone2.promise) loads.push(hostsByName.load(h));
    clock.runImmediates();
    expect(batches).toEqual([]);

    zone3.resolve(['h3', 'h4']);
    for (const h of await zone3.promise) loads.push(hostsByName.load(h));
    clock.runImmediates();

    expect(batches).toEqual([['h1', 'h2', 'h3', 'h4']]);
    expect(await Promise.all(loads)).toEqual(['H1', 'H2', 'H3', 'H4']);
  });

  it('starts a soon() call at the next check beside the batches queued with it, without holding them back', async () => {
    const clock = new FakeClock();
    const scheduler = new BatchScheduler(50, clock);
    const log: string[] = [];
    const zones = deferred<string[]>();
    // A resolver asks for the zone list directly, another queues an instance batch, in one stretch (nodes(ids:)).
    const listed = scheduler.soon(() => {
      log.push('zones sent');
      return scheduler.track(zones.promise);
    });
    scheduler.schedule(recorder(log, 'instances'));
    expect(log).toEqual([]);
    clock.runImmediates();
    expect(log).toEqual(['instances', 'zones sent']);

    // A batch queued while the zone list is on its way waits for it, like for any call in flight.
    scheduler.schedule(recorder(log, 'hosts'));
    clock.runImmediates();
    expect(log).toEqual(['instances', 'zones sent']);
    zones.resolve(['zone-a']);
    expect(await listed).toEqual(['zone-a']);
    clock.runImmediates();
    expect(log).toEqual(['instances', 'zones sent', 'hosts']);
  });

  it('starts a soon() call at the next immediate when no batch is queued, and passes its failure on', async () => {
    const clock = new FakeClock();
    const scheduler = new BatchScheduler(50, clock);
    let sent = 0;
    const failing = scheduler.soon(() => {
      sent++;
      return Promise.reject(new Error('legacy answered 503'));
    });
    expect(sent).toBe(0);
    clock.runImmediates();
    expect(sent).toBe(1);
    await expect(failing).rejects.toThrow('legacy answered 503');
  });

  it('dispatches a DataLoader batch at the first immediate when nothing is in flight, so later keys form a new batch', async () => {
    const clock = new FakeClock();
    const scheduler = new BatchScheduler(50, clock);
    const batches: string[][] = [];
    const loader = new DataLoader<string, string>(
      async (keys) => {
        batches.push([...keys]);
        return [...keys];
      },
      { batchScheduleFn: scheduler.schedule },
    );

    const first = loader.load('a');
    clock.runImmediates();
    expect(await first).toBe('a');
    const second = loader.load('b');
    clock.runImmediates();
    expect(await second).toBe('b');
    expect(batches).toEqual([['a'], ['b']]);
  });

  it('dispatches a per-key batch (scheduleEager) at the next check while calls are in flight, keys of one stretch together', async () => {
    const clock = new FakeClock();
    const scheduler = new BatchScheduler(50, clock);
    const log: string[] = [];
    const cinder = deferred<void>();
    void scheduler.track(cinder.promise);
    // A level's list batch waits for the call in flight; a zone's host list (one call per key) does not.
    scheduler.schedule(recorder(log, 'instances'));
    const batches: string[][] = [];
    const hostsByZone = new DataLoader<string, string>(
      async (keys) => {
        batches.push([...keys]);
        return [...keys];
      },
      { batchScheduleFn: scheduler.scheduleEager },
    );
    const loads = [hostsByZone.load('zone-a'), hostsByZone.load('zone-b')];
    clock.runImmediates();
    expect(await Promise.all(loads)).toEqual(['zone-a', 'zone-b']);
    expect(batches).toEqual([['zone-a', 'zone-b']]);
    expect(log).toEqual([]);
    cinder.resolve();
    await cinder.promise;
    await Promise.resolve();
    clock.runImmediates();
    expect(log).toEqual(['instances']);
  });
});
