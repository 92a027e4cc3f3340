// An async iterator fed by pushes — what a subscription's source is. Written out rather than as an async
// generator because a generator suspended on an await cannot be returned until that await settles: a subscriber
// leaving a quiet stream would keep its listeners until the next event. Here return() ends it at once, and the
// queue is bounded (a consumer that cannot keep up loses the oldest values rather than the process its memory).
export interface PushIterator<T> {
  iterator: AsyncIterableIterator<T>;
  push(value: T): void;
  /** Ends the stream after the queued values; with an error, next() rejects with it once they are read. */
  end(error?: unknown): void;
  readonly closed: boolean;
}

export function pushIterator<T>(onClose: () => void, maxQueue = 1_000): PushIterator<T> {
  const queue: T[] = [];
  let waiting: { resolve(r: IteratorResult<T>): void; reject(e: unknown): void } | null = null;
  let ended = false;
  let failure: unknown = undefined;
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    onClose();
  };
  const done = (): IteratorResult<T> => ({ value: undefined, done: true });

  const iterator: AsyncIterableIterator<T> = {
    next() {
      if (queue.length > 0) return Promise.resolve({ value: queue.shift()!, done: false });
      if (ended) {
        close();
        if (failure !== undefined) {
          const e = failure;
          failure = undefined;
          return Promise.reject(e);
        }
        return Promise.resolve(done());
      }
      return new Promise((resolve, reject) => (waiting = { resolve, reject }));
    },
    return() {
      ended = true;
      queue.length = 0;
      close();
      const w = waiting;
      waiting = null;
      w?.resolve(done());
      return Promise.resolve(done());
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };

  return {
    iterator,
    push(value) {
      if (ended) return;
      if (waiting) {
        const w = waiting;
        waiting = null;
        w.resolve({ value, done: false });
        return;
      }
      if (queue.length >= maxQueue) queue.shift();
      queue.push(value);
    },
    end(error) {
      if (ended) return;
      ended = true;
      failure = error;
      const w = waiting;
      if (!w) return;
      waiting = null;
      close();
      if (error !== undefined) {
        failure = undefined;
        w.reject(error);
      } else w.resolve(done());
    },
    get closed() {
      return closed;
    },
  };
}
