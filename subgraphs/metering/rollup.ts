// Writing samples into the per-minute rollups (buckets.ts). Two paths that produce identical documents:
//  - live: one update per sample with `$inc`/`$min`/`$max`, idempotent per sample (replays change nothing);
//  - seed: whole hour documents built in memory and inserted in bulk (buildBucket), for history.
//
// Idempotency: the update for sample j of minute M filters on the slot's count — `sl.M.c` absent when j = 0,
// equal to j otherwise — so a replayed sample (count already past j) matches nothing and changes nothing; the
// slot's count is the applied-index marker. Samples of one minute must therefore arrive in index order (the
// feeder sends them so); one that skips ahead is ignored like a replay.
// The bucket itself is created by a separate upsert with only `$setOnInsert` (filter on `_id` alone), not by
// upserting the sample update: a replay would then hit a duplicate key, and FerretDB 1.24 aborts the rest of
// the `update` command at the first error and reports it at index 0 with no counts, so the caller could not
// tell what was applied. This way a batch never fails on a replay.
// MongoDB update operators: https://www.mongodb.com/docs/manual/reference/operator/update/
import type { AnyBulkWriteOperation, Db } from 'mongodb';
import {
  bucketId,
  HOUR_MINUTES,
  hourStartMinute,
  METERING_COLLECTION,
  METERS,
  MINUTE_MS,
  toDouble,
  type BucketDoc,
  type Meter,
  type MeteredKind,
  type SlotDoc,
} from './buckets.ts';
import { samplesPerMinute, sampleValue, type Sample } from './samples.ts';

/**
 * Updates per bulk write. FerretDB 1.24 (SQLite) keeps every update's cursor open until the whole `update`
 * command ends and its pool holds 100 connections: a command with 100 updates deadlocks the server (measured:
 * 99 pass, 100 hang). Stay well below so concurrent readers still get connections.
 */
export const UPDATE_CHUNK = 40;
/** Documents per insertMany of the seed: a few MB per message. */
export const INSERT_CHUNK = 400;

export async function ensureMeteringIndexes(db: Db): Promise<void> {
  // Reads address buckets by `_id` (always indexed). This one serves fleet-wide scans by kind, meter and hour
  // (all hosts of a kind for a dashboard, retention deletes of old hours).
  await db.collection(METERING_COLLECTION).createIndex({ k: 1, m: 1, h: 1 }, { name: 'kind_meter_hour' });
}

function sampleUpdate(s: Sample): AnyBulkWriteOperation<BucketDoc> {
  const slot = `sl.${s.minute % HOUR_MINUTES}`;
  const v = toDouble(s.value);
  const inc: Record<string, unknown> = { s: v, c: 1, [`${slot}.s`]: v, [`${slot}.c`]: 1 };
  if (s.index === 0) inc.n = 1; // the minute's first sample: one more minute with data
  return {
    updateOne: {
      filter: { _id: bucketId(s.kind, s.resourceId, s.meter, s.minute), [`${slot}.c`]: s.index === 0 ? { $exists: false } : s.index } as never,
      update: { $inc: inc, $min: { mn: v, [`${slot}.mn`]: v }, $max: { mx: v, [`${slot}.mx`]: v } } as never,
    },
  };
}

function ensureBucket(s: Sample): AnyBulkWriteOperation<BucketDoc> {
  return {
    updateOne: {
      filter: { _id: bucketId(s.kind, s.resourceId, s.meter, s.minute) },
      update: { $setOnInsert: { k: s.kind, r: s.resourceId, m: s.meter, h: new Date(hourStartMinute(s.minute) * MINUTE_MS) } },
      upsert: true,
    },
  };
}

export interface ApplyResult {
  applied: number;
  ignored: number;
  roundTrips: number;
}

/**
 * Applies samples through upserts, in order. Returns how many changed a bucket (`applied`) and how many were
 * replays or out of order (`ignored`). Safe to call again with the same samples.
 */
export async function applySamples(db: Db, samples: readonly Sample[]): Promise<ApplyResult> {
  const col = db.collection<BucketDoc>(METERING_COLLECTION);
  let applied = 0;
  let roundTrips = 0;
  let ops: AnyBulkWriteOperation<BucketDoc>[] = [];
  let ensured = new Set<string>();
  const flush = async () => {
    if (ops.length === 0) return;
    const res = await col.bulkWrite(ops, { ordered: true });
    // Bucket creations count as upserts, never as modifications: modifiedCount is exactly the applied samples.
    applied += res.modifiedCount;
    roundTrips++;
    ops = [];
    ensured = new Set();
  };
  for (const s of samples) {
    if (ops.length >= UPDATE_CHUNK - 1) await flush();
    const id = bucketId(s.kind, s.resourceId, s.meter, s.minute);
    if (!ensured.has(id)) {
      ensured.add(id);
      ops.push(ensureBucket(s));
    }
    ops.push(sampleUpdate(s));
  }
  await flush();
  return { applied, ignored: samples.length - applied, roundTrips };
}

/**
 * The bucket document that applying every sample of [fromMinute, toMinute) in the hour of `fromMinute` through
 * applySamples would leave, built in memory; null when the range has no sample.
 */
export function buildBucket(kind: MeteredKind, resourceId: string, meter: Meter, fromMinute: number, toMinute: number): BucketDoc | null {
  const hourStart = hourStartMinute(fromMinute);
  const end = Math.min(toMinute, hourStart + HOUR_MINUTES);
  if (end <= fromMinute) return null;
  const sl: Record<string, SlotDoc> = {};
  let s = 0,
    c = 0,
    mn = Infinity,
    mx = -Infinity,
    n = 0;
  for (let minute = fromMinute; minute < end; minute++) {
    const count = samplesPerMinute(resourceId, minute);
    let ss = 0,
      smn = Infinity,
      smx = -Infinity;
    for (let index = 0; index < count; index++) {
      const v = sampleValue(kind, resourceId, meter, minute, index);
      ss += v;
      if (v < smn) smn = v;
      if (v > smx) smx = v;
    }
    sl[String(minute - hourStart)] = { s: toDouble(ss) as never, c: count, mn: toDouble(smn) as never, mx: toDouble(smx) as never };
    s += ss;
    c += count;
    n++;
    if (smn < mn) mn = smn;
    if (smx > mx) mx = smx;
  }
  return {
    _id: bucketId(kind, resourceId, meter, fromMinute),
    k: kind,
    r: resourceId,
    m: meter,
    h: new Date(hourStart * MINUTE_MS),
    s: toDouble(s) as never,
    c,
    mn: toDouble(mn) as never,
    mx: toDouble(mx) as never,
    n,
    sl,
  };
}

/** Every bucket of one resource covering [fromMinute, toMinute), all meters. */
export function buildBuckets(kind: MeteredKind, resourceId: string, fromMinute: number, toMinute: number): BucketDoc[] {
  const out: BucketDoc[] = [];
  for (let start = fromMinute; start < toMinute; start = hourStartMinute(start) + HOUR_MINUTES) {
    for (const meter of METERS) {
      const doc = buildBucket(kind, resourceId, meter, start, toMinute);
      if (doc) out.push(doc);
    }
  }
  return out;
}
