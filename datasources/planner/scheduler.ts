// When a request's DataLoader batches are dispatched. Plain DataLoader dispatches on the next tick, so parents
// of one query level that arrive from different upstream responses (three zones' host lists, answered a few
// ms apart) split their children into several batches and several upstream calls
// (https://github.com/graphql/dataloader/issues/276). Here a batch waits until the request has no upstream call
// in flight — by then every parent of the level has arrived and enqueued its keys — or at most `maxWaitMs`,
// so one slow upstream cannot hold back an unrelated branch for long. The critical path is unchanged: a level's
// children could not have finished before the slowest of its parents anyway.
//
// A call a resolver makes directly rather than through a loader (the legacy zone list) is a sibling of the batches
// its level queues, not a parent of their keys. Started at once, it would be in flight when they are checked and
// hold them back a whole round: `nodes(ids:)` with a zone id beside instance and volume ids took two rounds
// instead of one (issue #8, sdk-nodes). soon() starts such a call at the level's check instead, after the batches
// queued so far are judged, so it travels beside them.
//
// Waiting only pays where more keys could change the batch's calls: a list or multi-key plan covers them in fewer
// calls. A loader that makes one call per key whatever its batch holds (a zone's hosts, a legacy disk by id) gains
// nothing from waiting and loses the time of whatever else is in flight: instance-detail's host lookup waited on
// the level's Cinder, Glance and Neutron calls after its zone list had come (+3 ms at p50, issue #8). Such a
// loader is scheduled by scheduleEager: dispatched at the next check like a soon() call.

/** The timers the scheduler uses; tests pass a fake clock (test/datasources/scheduler.test.ts). */
export interface SchedulerClock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** Runs `fn` after the promise jobs already queued (Node's setImmediate). */
  setImmediate(fn: () => void): void;
}

const realClock: SchedulerClock = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  setImmediate: (fn) => void setImmediate(fn),
};

export class BatchScheduler {
  private inFlight = 0;
  private waiting: (() => void)[] = [];
  /** Direct calls to start at the next check (soon()). */
  private starting: (() => void)[] = [];
  private checkQueued = false;
  private timer: unknown;

  constructor(
    private readonly maxWaitMs: number,
    private readonly clock: SchedulerClock = realClock,
  ) {}

  /** Counts an upstream call as in flight until it settles. */
  track<T>(promise: Promise<T>): Promise<T> {
    this.inFlight++;
    const done = () => {
      this.inFlight--;
      if (this.inFlight === 0) this.queueCheck();
    };
    promise.then(done, done);
    return promise;
  }

  /**
   * Starts `start` at the next check, beside the batches queued in the same stretch of resolvers, which it does not
   * hold back; batches queued after it has started wait for it like for any call in flight.
   */
  soon<T>(start: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.starting.push(() => {
        try {
          start().then(resolve, reject);
        } catch (err) {
          reject(err);
        }
      });
      this.queueCheck();
    });
  }

  /** DataLoader's batchScheduleFn. */
  readonly schedule = (dispatch: () => void): void => {
    this.waiting.push(dispatch);
    this.queueCheck();
    if (this.timer === undefined && this.maxWaitMs > 0) this.timer = this.clock.setTimeout(() => this.flush(), this.maxWaitMs);
  };

  /**
   * batchScheduleFn of a loader that makes one call per key: its batch is dispatched at the next check (after the
   * keys enqueued in the same stretch of resolvers), never held back by calls in flight.
   */
  readonly scheduleEager = (dispatch: () => void): void => {
    this.starting.push(dispatch);
    this.queueCheck();
  };

  private queueCheck(): void {
    if (this.checkQueued || (this.waiting.length === 0 && this.starting.length === 0)) return;
    this.checkQueued = true;
    // setImmediate runs after the promise jobs of the responses that just arrived, so resolvers fed by them
    // have enqueued their keys before we look.
    this.clock.setImmediate(() => {
      this.checkQueued = false;
      const idle = this.inFlight === 0;
      const starting = this.starting;
      this.starting = [];
      if (idle && this.waiting.length > 0) this.flush();
      for (const start of starting) start();
    });
  }

  private flush(): void {
    if (this.timer !== undefined) {
      this.clock.clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = this.waiting;
    this.waiting = [];
    for (const dispatch of batch) dispatch();
  }
}
