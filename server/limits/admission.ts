// Admission control for heavy requests (issue #8 "Memory"; bench/README.md "Where the memory goes"): the gateway
// is CPU-bound, so 64 wide requests executing at once finish no sooner than a few would — they only hold their
// upstream lists and mapped records in memory at once. As databases and proxies bound concurrent expensive work,
// a request whose cost estimate (estimate-cost.ts, made once before any upstream call) is at least
// `server.heavyCost` takes one of `server.maxHeavyInFlight` slots before its resolvers call anything; past them it
// waits in a FIFO queue of at most `server.maxHeavyQueued`, for at most `server.heavyQueueTimeoutMs`. A full queue
// or a wait past the timeout answers MOSAIC_ERR_OVERLOADED (HTTP 503 with Retry-After). Cheap requests never wait.
//
// Slots are counted in memory as well as in requests: the requests executing at once must also fit
// `server.heavyMemoryMb`, each expected to hold its cost estimate × HEAVY_BYTES_PER_VALUE. A count alone let 8 of
// a medium cloud's fleet trees (~82,000 values, ~190 MB of heap each) run together in a replica whose heap Node
// had sized to 259 MB from the Deployment's 512 Mi limit: V8 collected without end, then aborted (bench/README.md
// "Memory as deployed"). The head of the queue waits until it fits, so a big request is never overtaken for good;
// one bigger than the whole budget runs when no other heavy request does.
//
// A ticket is released exactly once, when the request's HTTP exchange ends (answer sent, or client gone:
// server/context.ts RequestLifecycle), whether it was executing or still queued — so no path leaks a slot.
// The state is published on a diagnostics channel for the metrics (server/observability/metrics.ts).
import diagnostics_channel from 'node:diagnostics_channel';
import v8 from 'node:v8';
import { MosaicError } from '../../core/errors.ts';

export interface AdmissionLimits {
  maxHeavyInFlight: number;
  maxHeavyQueued: number;
  heavyQueueTimeoutMs: number;
  heavyMemoryMb: number;
}

/**
 * Heap a request holds at its peak per value of its cost estimate: upstream pages being parsed, mapped records, the
 * result tree and its JSON. Measured on the medium fleet tree, alone in a 259 MB heap: ~190 MB above the resting
 * heap for an estimate of 82,656 (bench/README.md "Memory as deployed").
 */
export const HEAVY_BYTES_PER_VALUE = 2_300;

/** The budget in cost units: server.heavyMemoryMb, or half of V8's heap limit when it is 0. */
export function heavyCostBudget(limits: Pick<AdmissionLimits, 'heavyMemoryMb'>): number {
  const bytes = limits.heavyMemoryMb > 0 ? limits.heavyMemoryMb * 2 ** 20 : v8.getHeapStatistics().heap_size_limit / 2;
  return Math.floor(bytes / HEAVY_BYTES_PER_VALUE);
}

/** Published on every change: the counts after it, and what happened. */
export interface AdmissionMessage {
  event: 'admitted' | 'queued' | 'released' | 'refused';
  /** Why a request was refused. */
  reason?: 'queue-full' | 'timeout';
  /** The request's cost estimate, on admitted, queued and refused. */
  cost?: number;
  inFlight: number;
  /** The cost estimates of the requests executing, summed. */
  costInFlight: number;
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
  cost: number;
  grant(): void;
  fail(error: MosaicError): void;
}

export class Admission {
  inFlight = 0;
  costInFlight = 0;
  /** The estimates the executing requests may sum to (heavyCostBudget). */
  readonly costBudget: number;
  /** FIFO; bounded by maxHeavyQueued (small), so shift() is cheap enough. */
  private readonly queue: Waiter[] = [];

  constructor(private readonly limits: AdmissionLimits) {
    this.costBudget = heavyCostBudget(limits);
  }

  get queued(): number {
    return this.queue.length;
  }

  private publish(event: AdmissionMessage['event'], cost?: number, reason?: AdmissionMessage['reason']): void {
    if (admissionChannel.hasSubscribers) {
      admissionChannel.publish({
        event,
        reason,
        cost,
        inFlight: this.inFlight,
        costInFlight: this.costInFlight,
        queued: this.queue.length,
      } satisfies AdmissionMessage);
    }
  }

  private refuse(cost: number, reason: NonNullable<AdmissionMessage['reason']>): MosaicError {
    this.publish('refused', cost, reason);
    const why =
      reason === 'queue-full'
        ? `${this.inFlight} heavy requests are running and ${this.limits.maxHeavyQueued} waiting (server.maxHeavyQueued)`
        : `no slot came free within ${this.limits.heavyQueueTimeoutMs} ms (server.heavyQueueTimeoutMs)`;
    return new MosaicError('MOSAIC_ERR_OVERLOADED', `The gateway is busy with heavy requests: ${why}. Retry after ${RETRY_AFTER_SECONDS} s.`);
  }

  /** True when a request of `cost` may start now: a slot is free and it fits the budget, or nothing heavy runs. */
  private fits(cost: number): boolean {
    return this.inFlight === 0 || (this.inFlight < this.limits.maxHeavyInFlight && this.costInFlight + cost <= this.costBudget);
  }

  private take(cost: number): void {
    this.inFlight++;
    this.costInFlight += cost;
  }

  /** Gives back a finished request's slot and share of the budget, then starts the waiters at the head that fit. */
  private pass(cost: number): void {
    this.inFlight--;
    this.costInFlight -= cost;
    this.publish('released');
    this.startWaiters();
  }

  /** Starts the waiters at the head of the queue for as long as they fit. */
  private startWaiters(): void {
    while (this.queue.length > 0 && this.fits(this.queue[0].cost)) {
      const next = this.queue.shift()!;
      this.take(next.cost);
      next.grant();
    }
  }

  /** `cost`: the request's estimate, for the diagnostics message. */
  enter(cost: number): Ticket {
    let state: 'held' | 'waiting' | 'done' = 'waiting';
    let waiter: Waiter | undefined;
    const release = () => {
      if (state === 'held') {
        state = 'done';
        this.pass(cost);
      } else if (state === 'waiting') {
        state = 'done';
        if (waiter) this.leave(waiter, () => new MosaicError('MOSAIC_ERR_OVERLOADED', 'The request ended while it waited for a slot.'));
      }
    };
    // Behind anyone already waiting, whatever it costs: first come, first served.
    if (this.queue.length === 0 && this.fits(cost)) {
      this.take(cost);
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
        cost,
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

  /**
   * Takes a waiter out of the queue, then fails it (`error` is made after, so its message counts it out). A big
   * head that leaves may unblock the smaller waiters behind it.
   */
  private leave(waiter: Waiter, error: () => MosaicError): void {
    const i = this.queue.indexOf(waiter);
    if (i >= 0) this.queue.splice(i, 1);
    waiter.fail(error());
    if (i === 0) this.startWaiters();
  }
}

const admissions = new WeakMap<object, Admission>();

/** The gateway's one Admission, keyed by its services object (one per gateway; tests run several per process). */
export function admissionOf(services: object, limits: AdmissionLimits): Admission {
  let admission = admissions.get(services);
  if (!admission) admissions.set(services, (admission = new Admission(limits)));
  return admission;
}
