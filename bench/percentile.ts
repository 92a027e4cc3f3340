// Nearest-rank percentiles of latency samples, for the bench modes that record every request themselves
// (bench/attack.ts's bystander, bench/soak.ts) rather than through autocannon's histograms.

/** The p-th percentile (0–100) of `values` by nearest rank; null for no values. Sorts a copy. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}
