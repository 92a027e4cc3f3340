// Admission control for heavy requests (issue #8 "Memory"; bench/README.md "Where the memory goes"): the gateway
// is CPU-bound, so 64 wide requests executing at once finish no sooner than a few would — they only hold their
// upstream lists and mapped records in memory at once. As databases and proxies bound concurrent expensive work,
// a request whose cost estimate (estimate-cost.ts, made once before any upstream call) is at least
// `server.heavyCost` takes one of `server.maxHeavyInFlight` slots before its resolvers call anything; past them it
// waits in a FIFO queue of at most `server.maxHeavyQueued`, for at most `server.heavyQueueTimeoutMs`. A full queue
// or a wait past the timeout answers MOSAIC_ERR_OVERLOADED (HTTP 503 with Retry-After). Cheap requests never wait.
//
// A ticket is released exactly once, when the request's HTTP exchange ends (answer sent, or client gone:
// server/context.ts RequestLifecycle), whether it was executing or still queued — so no path leaks a slot.
// The state is published on a diagnostics channel for the metrics (server/observability/metrics.ts).
import diagnostics_channel from 'node:diagnostics_channel';
import { MosaicError } from '../../core/errors.ts';

export interface AdmissionLimits {
  maxHeavyInFlight: number;
  maxHeavyQueued: number;
  heavyQueueTimeoutMs: number;
}

/** Published on every change: the counts after it, and what happened. */
export interface AdmissionMessage {
  event: 'admitted' | 'queued' | 'released' | 'refused';
  /** Why a request was refused. */
  reason?: 'queue-full' | 'timeout';
  /** The request's cost estimate, on admitted, queued and refused. */
  cost?: number;
  inFlight: number;
  queued: number;
}

export const admissionChannel = diagnostics_channel.channel('mosaic:admission');

/** Seconds a refused client is told to wait: a heavy request takes about a second under load (bench/README.md). */
export const RETRY_AFTER_SECONDS = 1;

export interface Ticket {
  /** Resolves once the request holds a slot; rejects with MOSAIC_ERR_OVERLOADED. */
  readonly ready: Promise<void>;
  /** Gives the slot back, or leaves the queue; idempotent. */
  release(): void;
}

interface Waiter {
  grant(): void;
  fail(error: MosaicError): void;
}

export class Admission {
  inFlight = 0;
  /** FIFO; bounded by maxHeavyQueued (small), so shift() is cheap enough. */
  private readonly queue: Waiter[] = [];

  constructor(private readonly limits: AdmissionLimits) {}

  get queued(): number {
    return this.queue.length;
  }

  private publish(event: AdmissionMessage['event'], cost?: number, reason?: AdmissionMessage['reason']): void {
    if (admissionChannel.hasSubscribers) {
      admissionChannel.publish({ event, reason, cost, inFlight: this.inFlight, queued: this.queue.length } satisfies AdmissionMessage);
    }
  }

  private refuse(cost: number, reason: NonNullable<AdmissionMessage['reason']>): MosaicError {
    this.publish('refused', cost, reason);
    const why =
      reason === 'queue-full'
        ? `${this.limits.maxHeavyInFlight} heavy requests are running and ${this.limits.maxHeavyQueued} waiting (server.maxHeavyQueued)`
        : `no slot came free within ${this.limits.heavyQueueTimeoutMs} ms (server.heavyQueueTimeoutMs)`;
    return new MosaicError('MOSAIC_ERR_OVERLOADED', `The gateway is busy with heavy requests: ${why}. Retry after ${RETRY_AFTER_SECONDS} s.`);
  }

  /** Hands a freed slot to the first waiter, or frees it. */
  private pass(): void {
    const next = this.queue.shift();
    if (next) next.grant();
    else this.inFlight--;
    this.publish('released');
  }

  /** `cost`: the request's estimate, for the diagnostics message. */
  enter(cost: number): Ticket {
    let state: 'held' | 'waiting' | 'done' = 'waiting';
    let waiter: Waiter | undefined;
    const release = () => {
      if (state === 'held') {
        state = 'done';
        this.pass();
      } else if (state === 'waiting') {
        state = 'done';
        if (waiter) this.leave(waiter, () => new MosaicError('MOSAIC_ERR_OVERLOADED', 'The request ended while it waited for a slot.'));
      }
    };
    if (this.inFlight < this.limits.maxHeavyInFlight) {
      this.inFlight++;
      state = 'held';
      this.publish('admitted', cost);
      return { ready: Promise.resolve(), release };
    }
    if (this.queue.length >= this.limits.maxHeavyQueued) {
      state = 'done';
      return { ready: Promise.reject(this.refuse(cost, 'queue-full')), release };
    }
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        state = 'done';
        this.leave(waiter!, () => this.refuse(cost, 'timeout'));
      }, this.limits.heavyQueueTimeoutMs);
      timer.unref();
      waiter = {
        grant: () => {
          clearTimeout(timer);
          state = 'held';
          this.publish('admitted', cost);
          resolve();
        },
        fail: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
    });
    this.queue.push(waiter!);
    this.publish('queued', cost);
    return { ready, release };
  }

  /** Takes a waiter out of the queue, then fails it (`error` is made after, so its message counts it out). */
  private leave(waiter: Waiter, error: () => MosaicError): void {
    const i = this.queue.indexOf(waiter);
    if (i >= 0) this.queue.splice(i, 1);
    waiter.fail(error());
  }
}

const admissions = new WeakMap<object, Admission>();

/** The gateway's one Admission, keyed by its services object (one per gateway; tests run several per process). */
export function admissionOf(services: object, limits: AdmissionLimits): Admission {
  let admission = admissions.get(services);
  if (!admission) admissions.set(services, (admission = new Admission(limits)));
  return admission;
}
