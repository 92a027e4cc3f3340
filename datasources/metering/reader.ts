// The gateway's view of the metering store: batched reads of per-resource aggregates.
// The MongoDB implementation is metering/store.ts; this interface keeps the graph independent of it.
import type { ResourceMetricsRecord } from '../../core/domain.ts';

export type MeteredKind = 'instance' | 'host';

export interface MeteringReader {
  /** Aggregates per resource id over the last `lastMinutes` whole minutes, in one database round trip. */
  resourceMetrics(kind: MeteredKind, ids: string[], lastMinutes: number): Promise<Map<string, ResourceMetricsRecord>>;
  /** True when the database answers. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
