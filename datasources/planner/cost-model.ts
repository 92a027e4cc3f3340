// The expected time of a candidate plan (DESIGN.md "Batching: the rules": whichever is expected to finish
// soonest). A plan states what it costs in upstream terms — calls, sequential rounds (per-key GETs under the
// concurrency cap are ceil(n / concurrency) rounds, a marker-paged list is its pages, parallel chunks or zone lists
// one round each) and the records it downloads — and this prices them with what UpstreamStats has learned:
//
//   expected ms = rounds × RTT(upstream) + records × bytesPerRecord(upstream, kind) × msPerByte(upstream)
//                 + calls × CALL_CPU_MS
//
// msPerByte is the upstream's transfer per byte plus the gateway's parse-and-map per byte; the last term is the
// gateway CPU each HTTP exchange costs, serial on the event loop. Ties (within 2%) go to less gateway CPU (fewer
// bytes), then to less upstream load (fewer calls), then to the earlier candidate.
import { CALL_CPU_MS, UpstreamStats } from './upstream-stats.ts';

/** What a plan costs in upstream terms; the defaults keep a bare `{ calls }` meaning one round per call, no records. */
export interface PlanCost {
  /** Expected upstream calls; 0 when the data is already fetched in this request; Infinity when the plan cannot answer. */
  calls: number;
  /** Sequential round trips (defaults to `calls`). */
  rounds?: number;
  /** Records downloaded (defaults to 0). */
  records?: number;
  /** The upstream the plan calls (its round trip, its record sizes); priors when absent. */
  service?: string;
  /** The body's collection key of the records (`volumes`, `volume`, `servers`, `projects`…), for bytes per record. */
  kind?: string;
}

export interface Estimate {
  calls: number;
  rounds: number;
  records: number;
  bytes: number;
  expectedMs: number;
}

/**
 * Records assumed for a list whose size this tenant scope has never seen: one full page of the OpenStack maximum
 * (osapi_max_limit 1000). Conservative: a handful of single GETs beats an unseen list, a fan-out of hundreds does not.
 */
export const UNKNOWN_LIST_RECORDS = 1000;

/** Stats nobody feeds: the priors. For callers without an HTTP stack (the query-cost guard's tests, federation). */
export const PRIOR_STATS = new UpstreamStats();

export function estimate(plan: PlanCost, stats: UpstreamStats = PRIOR_STATS): Estimate {
  const calls = plan.calls;
  const rounds = plan.rounds ?? calls;
  const records = plan.records ?? 0;
  if (!Number.isFinite(calls) || !Number.isFinite(rounds)) return { calls, rounds, records, bytes: Infinity, expectedMs: Infinity };
  const service = plan.service ?? '';
  const bytes = records > 0 ? records * stats.bytesPerRecord(service, plan.kind ?? '') : 0;
  const expectedMs = (rounds > 0 ? rounds * stats.rttMs(service) : 0) + bytes * stats.msPerByte(service) + calls * CALL_CPU_MS;
  return { calls, rounds, records, bytes, expectedMs };
}

/** True when `a` should be preferred to `b`: clearly sooner, or as soon and cheaper in bytes, then in calls. */
function better(a: Estimate, b: Estimate): boolean {
  if (a.expectedMs === b.expectedMs) return a.bytes < b.bytes || (a.bytes === b.bytes && a.calls < b.calls);
  const tolerance = 0.02 * Math.min(a.expectedMs, b.expectedMs);
  if (Math.abs(a.expectedMs - b.expectedMs) > tolerance) return a.expectedMs < b.expectedMs;
  return a.bytes < b.bytes || (a.bytes === b.bytes && a.calls < b.calls);
}

/** The index of the plan expected to finish soonest, with every plan's estimate. Throws on an empty list. */
export function rank(plans: readonly PlanCost[], stats: UpstreamStats = PRIOR_STATS): { best: number; estimates: Estimate[] } {
  if (plans.length === 0) throw new Error('choose() needs at least one candidate plan');
  const estimates = plans.map((p) => estimate(p, stats));
  let best = 0;
  for (let i = 1; i < estimates.length; i++) if (better(estimates[i], estimates[best])) best = i;
  return { best, estimates };
}
