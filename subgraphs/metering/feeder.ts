// Fills the metering store for the seeded cloud: seedMetering writes history for every instance and host in
// bulk (whole hour buckets built in memory, inserted), startMeteringFeed keeps the current minute coming in
// through the live, idempotent upserts (rollup.ts applySamples) while it runs. Instances are metered by Nova
// server id, hosts by hostname (buckets.ts).
import type { Db } from 'mongodb';
import type { Cloud } from '../seed/types.ts';
import { METERING_COLLECTION, minuteOf, MINUTE_MS, type BucketDoc, type MeteredKind } from './buckets.ts';
import { applySamples, buildBuckets, ensureMeteringIndexes, INSERT_CHUNK } from './rollup.ts';
import { sampleOffsetMs, samplesOf, samplesPerMinute, type Sample } from './samples.ts';
import { writeWindowSnapshots } from './window-snapshot.ts';

export interface MeteredResource {
  kind: MeteredKind;
  id: string;
}

/** What the cloud meters right now: servers that exist (not DELETED) and every host. */
export function meteredResources(cloud: Cloud): MeteredResource[] {
  return [
    ...cloud.servers.filter((s) => s.status !== 'DELETED').map((s) => ({ kind: 'instance' as const, id: s.id })),
    ...cloud.hosts.map((h) => ({ kind: 'host' as const, id: h.hostname })),
  ];
}

export interface SeedOptions {
  /** Hours of history, ending with the last whole minute before `now`. Default 24. */
  hours?: number;
  now?: number;
  /** Only these resources (default: meteredResources(cloud)). */
  resources?: MeteredResource[];
}
export interface SeedResult {
  documents: number;
  samples: number;
  minutes: number;
  resources: number;
  ms: number;
}

/**
 * Writes `hours` of samples for every resource: the minutes [now - hours, now) rounded down to whole minutes.
 * Buckets that already exist are left as they are (duplicate keys are skipped), so running it twice is harmless.
 */
export async function seedMetering(db: Db, cloud: Cloud, { hours = 24, now = Date.now(), resources }: SeedOptions = {}): Promise<SeedResult> {
  const started = performance.now();
  const toMinute = minuteOf(now);
  const fromMinute = toMinute - Math.round(hours * 60);
  const list = resources ?? meteredResources(cloud);
  await ensureMeteringIndexes(db);
  const col = db.collection<BucketDoc>(METERING_COLLECTION);

  let documents = 0;
  let samples = 0;
  let batch: BucketDoc[] = [];
  // Two inserts in flight: one is encoded by FerretDB while the next is built and sent.
  const inFlight = new Set<Promise<void>>();
  const send = async (docs: BucketDoc[]) => {
    try {
      await col.insertMany(docs, { ordered: false });
    } catch (err) {
      if (!isOnlyDuplicates(err)) throw err;
    }
  };
  const flush = async () => {
    if (batch.length === 0) return;
    const p = send(batch).finally(() => inFlight.delete(p));
    p.catch(() => {}); // awaited below; this only keeps a second failure from going unhandled
    inFlight.add(p);
    batch = [];
    if (inFlight.size >= 2) await Promise.race(inFlight);
  };
  for (const r of list) {
    for (const doc of buildBuckets(r.kind, r.id, fromMinute, toMinute)) {
      batch.push(doc);
      documents++;
      samples += doc.c;
      if (batch.length >= INSERT_CHUNK) await flush();
    }
  }
  await flush();
  await Promise.all(inFlight);
  await writeWindowSnapshots(db, list, toMinute);
  return { documents, samples, minutes: toMinute - fromMinute, resources: list.length, ms: Math.round(performance.now() - started) };
}

function isOnlyDuplicates(err: unknown): boolean {
  const e = err as { code?: number; writeErrors?: { code?: number }[] | { code?: number } };
  const list = Array.isArray(e.writeErrors) ? e.writeErrors : e.writeErrors ? [e.writeErrors] : [];
  return list.length > 0 ? list.every((w) => w.code === 11000) : e.code === 11000;
}

/** The samples of `resources` taken in the time range (fromMs, toMs], in time order. */
export function samplesBetween(resources: readonly MeteredResource[], fromMs: number, toMs: number): Sample[] {
  const out: Sample[] = [];
  for (let minute = minuteOf(fromMs); minute <= minuteOf(toMs); minute++) {
    const minuteStart = minute * MINUTE_MS;
    for (const r of resources) {
      const count = samplesPerMinute(r.id, minute);
      for (const s of samplesOf(r.kind, r.id, minute)) {
        const at = minuteStart + sampleOffsetMs(count, s.index);
        if (at > fromMs && at <= toMs) out.push(s);
      }
    }
  }
  // Within a minute, indices must arrive in order per bucket; samplesOf already yields them so.
  return out;
}

export interface FeedOptions {
  /** How often to write what was sampled since the last tick. Default 10 s. */
  intervalMs?: number;
  now?: () => number;
  /** Called after each tick (tests, logs). */
  onTick?: (info: { samples: number; applied: number; ms: number }) => void;
  onError?: (err: unknown) => void;
  /**
   * Write the samples into the hour buckets (default). FerretDB 1.x scans the collection for every conditional
   * update, so against it the demo feeds only the per-minute window snapshots.
   */
  buckets?: boolean;
}
export interface MeteringFeed {
  stop(): Promise<void>;
  /** Resolves after the tick in progress, if any. */ idle(): Promise<void>;
}

/**
 * Writes the samples of the current minute as they fall due, every `intervalMs`, starting with those already
 * due in the current minute. Resources are read from `cloud` at every tick, so new servers get metered and
 * deleted ones stop. Ticks never overlap; stop() waits for the one in progress.
 */
export function startMeteringFeed(
  db: Db,
  cloud: Cloud,
  { intervalMs = 10_000, now = Date.now, onTick, onError, buckets = true }: FeedOptions = {},
): MeteringFeed {
  let snapshotEnd = -1;
  let watermark = minuteOf(now()) * MINUTE_MS - 1; // everything up to here has been written
  let running: Promise<void> = Promise.resolve();
  let busy = false;
  let stopped = false;
  const tick = async () => {
    const started = performance.now();
    const until = now();
    const resources = meteredResources(cloud);
    const samples = buckets ? samplesBetween(resources, watermark, until) : [];
    const res = buckets ? await applySamples(db, samples) : { applied: 0 };
    watermark = until;
    // A new minute completes the window ending at its start.
    if (minuteOf(until) !== snapshotEnd) {
      snapshotEnd = minuteOf(until);
      await writeWindowSnapshots(db, resources, snapshotEnd);
    }
    onTick?.({ samples: samples.length, applied: res.applied, ms: Math.round(performance.now() - started) });
  };
  const schedule = () => {
    // Skip a tick while the previous one still runs (a slow database): the next one catches up from the watermark.
    if (stopped || busy) return;
    busy = true;
    running = tick()
      .catch((err) => onError?.(err))
      .finally(() => {
        busy = false;
      });
  };
  schedule();
  const timer = setInterval(schedule, intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
    idle: () => running,
  };
}
