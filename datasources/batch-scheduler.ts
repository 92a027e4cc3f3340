// When a request's DataLoader batches are dispatched. Plain DataLoader dispatches on the next tick, so parents
// of one query level that arrive from different upstream responses (three zones' host lists, answered a few
// ms apart) split their children into several batches and several upstream calls
// (https://github.com/graphql/dataloader/issues/276). Here a batch waits until the request has no upstream call
// in flight — by then every parent of the level has arrived and enqueued its keys — or at most `maxWaitMs`,
// so one slow upstream cannot hold back an unrelated branch for long. The critical path is unchanged: a level's
// children could not have finished before the slowest of its parents anyway.

export class BatchScheduler {
  private inFlight = 0;
  private waiting: (() => void)[] = [];
  private checkQueued = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly maxWaitMs: number) {}

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

  /** DataLoader's batchScheduleFn. */
  readonly schedule = (dispatch: () => void): void => {
    this.waiting.push(dispatch);
    this.queueCheck();
    if (!this.timer && this.maxWaitMs > 0) {
      this.timer = setTimeout(() => this.flush(), this.maxWaitMs);
      this.timer.unref?.();
    }
  };

  private queueCheck(): void {
    if (this.checkQueued || this.waiting.length === 0) return;
    this.checkQueued = true;
    // setImmediate runs after the promise jobs of the responses that just arrived, so resolvers fed by them
    // have enqueued their keys before we look.
    setImmediate(() => {
      this.checkQueued = false;
      if (this.inFlight === 0) this.flush();
    });
  }

  private flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = this.waiting;
    this.waiting = [];
    for (const dispatch of batch) dispatch();
  }
}
