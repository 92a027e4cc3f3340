// One request's explain record (`x-mosaic-explain: 1` from an administrator, server/explain.ts): every planned
// loader batch with its candidates and their estimates, the one chosen, and what it actually cost upstream, plus
// the request's totals. Built only when asked for; the HTTP client reports each call to it (datasources/http/client.ts)
// and RequestState.choose() wraps the chosen plan's run to take the difference of the per-upstream counters.
// Attribution is by upstream and time window, not by call: a batch is `overlapped` when another planned batch or
// call to the same upstream was under way at the same time, and its numbers may then include that other work.
import type { Estimate } from './cost-model.ts';

export interface CandidateReport extends Estimate {
  name: string;
}

export interface BatchReport {
  loader: string;
  service: string;
  chosen: string;
  candidates: CandidateReport[];
  actual: { calls: number; bytes: number; ms: number; overlapped: boolean };
}

interface Counters {
  calls: number;
  bytes: number;
  ms: number;
  inFlight: number;
}

interface Run {
  overlapped: boolean;
}

const round = (n: number, digits = 2) => (Number.isFinite(n) ? Math.round(n * 10 ** digits) / 10 ** digits : null);

export class PlanTrace {
  private readonly started = performance.now();
  private readonly batches: BatchReport[] = [];
  private readonly upstreams = new Map<string, Counters>();
  private readonly running = new Map<string, Set<Run>>();

  private counters(service: string): Counters {
    let c = this.upstreams.get(service);
    if (!c) this.upstreams.set(service, (c = { calls: 0, bytes: 0, ms: 0, inFlight: 0 }));
    return c;
  }

  /** An upstream call was sent (counted in flight until callEnded). */
  callStarted(service: string): void {
    const c = this.counters(service);
    c.inFlight++;
  }

  callEnded(service: string, ms: number, bytes: number): void {
    const c = this.counters(service);
    c.inFlight--;
    c.calls++;
    c.bytes += bytes;
    c.ms += ms;
  }

  /** Runs a batch's chosen plan and records it with its candidates and what it cost. */
  async run<T>(loader: string, service: string, candidates: CandidateReport[], chosen: string, run: () => Promise<T>): Promise<T> {
    const c = this.counters(service);
    const before = { calls: c.calls, bytes: c.bytes };
    const mark: Run = { overlapped: c.inFlight > 0 };
    let runs = this.running.get(service);
    if (!runs) this.running.set(service, (runs = new Set()));
    if (runs.size > 0) {
      mark.overlapped = true;
      for (const r of runs) r.overlapped = true;
    }
    runs.add(mark);
    const t0 = performance.now();
    try {
      return await run();
    } finally {
      runs.delete(mark);
      this.batches.push({
        loader,
        service,
        chosen,
        candidates,
        actual: { calls: c.calls - before.calls, bytes: c.bytes - before.bytes, ms: round(performance.now() - t0)!, overlapped: mark.overlapped },
      });
    }
  }

  /** The `extensions.mosaic.plan` object. */
  report() {
    const byUpstream: Record<string, { calls: number; bytes: number; ms: number }> = {};
    let calls = 0;
    let bytes = 0;
    for (const [service, c] of this.upstreams) {
      byUpstream[service] = { calls: c.calls, bytes: c.bytes, ms: round(c.ms)! };
      calls += c.calls;
      bytes += c.bytes;
    }
    return {
      batches: this.batches.map((b) => ({
        ...b,
        candidates: b.candidates.map((e) => ({
          name: e.name,
          calls: Number.isFinite(e.calls) ? e.calls : null,
          rounds: Number.isFinite(e.rounds) ? e.rounds : null,
          records: Math.round(e.records),
          bytes: round(e.bytes, 0),
          expectedMs: round(e.expectedMs),
        })),
      })),
      totals: { calls, bytes, elapsedMs: round(performance.now() - this.started)!, byUpstream },
    };
  }
}
