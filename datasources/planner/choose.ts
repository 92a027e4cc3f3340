// The one place a plan is chosen. Each loader lays out its candidate plans as data — a name, the upstream calls
// it is expected to cost, and how to run it — and choose() picks one; the loaders never compare costs
// themselves. Today's cost is calls (rounds of the upstream's round trip, the dominant term at the sizes the
// bench runs); ties go to the earlier candidate, and loaders list the narrower scope (fewer bytes) first.

export interface Candidate<T> {
  /** For explain output and tests: "per-key", "zone-lists", "all-tenants"… */
  name: string;
  /** Expected upstream calls; 0 when the data is already fetched in this request. */
  calls: number;
  run: () => Promise<T>;
}

/** The cheapest candidate; the first of equals. Throws on an empty list (a loader bug, not a user error). */
export function choose<T>(candidates: readonly Candidate<T>[]): Candidate<T> {
  if (candidates.length === 0) throw new Error('choose() needs at least one candidate plan');
  let best = candidates[0];
  for (const c of candidates) if (c.calls < best.calls) best = c;
  return best;
}
