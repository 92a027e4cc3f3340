// The one place a plan is chosen. Each loader lays out its candidate plans as data — a name, what it costs in
// upstream terms (calls, sequential rounds, records downloaded, from which upstream) and how to run it — and
// choose() picks the one expected to finish soonest (planner/cost-model.ts, with what planner/upstream-stats.ts
// has learned); the loaders never compare costs themselves. Loaders call it through RequestState.choose(), which
// also records the choice for explain (planner/plan-trace.ts).
import { rank, type PlanCost } from './cost-model.ts';
import type { UpstreamStats } from './upstream-stats.ts';

export interface Candidate<T> extends PlanCost {
  /** For explain output and tests: "per-key", "zone-lists", "all-tenants"… */
  name: string;
  run: () => Promise<T>;
}

/** The candidate expected to finish soonest; ties as cost-model.ts says. Throws on an empty list (a loader bug). */
export function choose<T>(candidates: readonly Candidate<T>[], stats?: UpstreamStats): Candidate<T> {
  return candidates[rank(candidates, stats).best];
}
