// The bystander of bench/attack.ts: an ordinary small query sent in a loop at concurrency 1 while the attacks
// run, in a worker thread of its own, so its timings are not delayed by the parent building attack bodies or
// reading their answers — only by the gateway. Each request reports its start and end on the epoch clock
// (performance.timeOrigin + performance.now(), comparable across threads) and its status.
import { Worker } from 'node:worker_threads';

export interface BystanderSample {
  /** Epoch ms, sub-millisecond precision. */
  start: number;
  end: number;
  status: number;
  /** 200 without "errors" in the body. */
  ok: boolean;
}

export interface Bystander {
  samples: BystanderSample[];
  /** Resolves once a request that started at or after `t` (epoch ms) has ended, or after `maxMs`. */
  waitPast(t: number, maxMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Plain JavaScript, run with `eval`: no loader needed in the worker. */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
let running = true;
parentPort.on('message', (m) => { if (m === 'stop') running = false; });
const now = () => performance.timeOrigin + performance.now();
(async () => {
  while (running) {
    const start = now();
    let status = 0;
    let ok = false;
    try {
      const res = await fetch(workerData.url, { method: 'POST', headers: workerData.headers, body: workerData.body });
      const text = await res.text();
      status = res.status;
      ok = status === 200 && !text.includes('"errors":');
    } catch {
      await new Promise((r) => setTimeout(r, 10));
    }
    parentPort.postMessage({ start, end: now(), status, ok });
  }
  parentPort.postMessage('done');
})();
`;

export function startBystander(url: string, query: string, token: string): Bystander {
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: { url, headers: { 'content-type': 'application/json', 'x-auth-token': token }, body: JSON.stringify({ query }) },
  });
  const samples: BystanderSample[] = [];
  const waiters = new Set<() => void>();
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => (done = resolve));
  worker.on('message', (m: BystanderSample | 'done') => {
    if (m === 'done') return done();
    samples.push(m);
    for (const w of waiters) w();
  });
  worker.on('exit', () => done());
  return {
    samples,
    waitPast: (t, maxMs = 30_000) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (samples.length > 0 && samples[samples.length - 1].start >= t) finish();
        };
        const finish = () => {
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const timer = setTimeout(finish, maxMs);
        waiters.add(check);
        check();
      }),
    stop: async () => {
      worker.postMessage('stop');
      await Promise.race([finished, new Promise((r) => setTimeout(r, 35_000))]);
      await worker.terminate();
    },
  };
}
