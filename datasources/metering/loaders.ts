// Per-request loaders for metering: one database round trip per batch of resources (per kind and window),
// however many instances or hosts the query touches.
import DataLoader from 'dataloader';
import type { BatchScheduler } from '../planner/scheduler.ts';
import type { MeteredKind, MeteringReader } from './reader.ts';
import type { ResourceMetricsRecord } from '../../core/domain.ts';
import { MosaicError } from '../../core/errors.ts';
import { MAX_LAST_MINUTES } from './store.ts';

export interface MetricLoaders {
  load(kind: MeteredKind, id: string, lastMinutes: number): Promise<ResourceMetricsRecord | null>;
}

/** Rejects with UPSTREAM_TIMEOUT when the database has not answered within `timeoutMs`. */
function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new MosaicError('MOSAIC_ERR_UPSTREAM_TIMEOUT', 'the metering database did not answer in time', { service: 'mongodb' })),
      timeoutMs,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function createMetricLoaders(reader: MeteringReader | null, scheduler: BatchScheduler, timeoutMs: number): MetricLoaders {
  const loaders = new Map<string, DataLoader<string, ResourceMetricsRecord | null>>();
  return {
    load(kind, id, lastMinutes) {
      if (!reader) return Promise.reject(new MosaicError('MOSAIC_ERR_METRICS_OFF', undefined, { service: 'mongodb' }));
      if (!Number.isInteger(lastMinutes) || lastMinutes < 1 || lastMinutes > MAX_LAST_MINUTES) {
        return Promise.reject(new MosaicError('MOSAIC_ERR_BAD_ARGUMENT', `lastMinutes must be an integer from 1 to ${MAX_LAST_MINUTES}`));
      }
      const key = `${kind}:${lastMinutes}`;
      let loader = loaders.get(key);
      if (!loader) {
        loader = new DataLoader(
          async (ids) => {
            try {
              const found = await scheduler.track(withTimeout(reader.resourceMetrics(kind, [...ids], lastMinutes), timeoutMs));
              return ids.map((i) => found.get(i) ?? null);
            } catch (err) {
              const error =
                err instanceof MosaicError
                  ? err
                  : new MosaicError('MOSAIC_ERR_UPSTREAM_UNAVAILABLE', 'the metering database failed', { service: 'mongodb' }, { cause: err });
              return ids.map(() => error);
            }
          },
          { batchScheduleFn: scheduler.schedule },
        );
        loaders.set(key, loader);
      }
      return loader.load(id);
    },
  };
}
