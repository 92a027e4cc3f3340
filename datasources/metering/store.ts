// The metering store in MongoDB: batched reads of the per-minute rollups the metering pipeline writes
// (subgraphs/metering/ is the demo's writer; metering/windows.ts is the reader's side of the window contract). Every read is ONE `find` by bucket `_id`s, however many resources
// it covers, and aggregates in memory: hour totals for hours the window covers whole, minute slots at its edges.
//
// Layout read here (one document per resource, meter and UTC hour; the bucket pattern,
// https://www.mongodb.com/docs/manual/data-modeling/design-patterns/group-data/bucket-pattern/):
//   { _id: "<i|h>|<resource id>|<meter>|<YYYY-MM-DDTHH>", k, r, m, h: <hour start>,
//     s, c, mn, mx, n: <minutes with samples>, sl: { "<minute of hour>": { s, c, mn, mx } } }
// Instances are keyed by Nova server id, hosts by hostname. A window of N minutes is the last N whole minutes
// before `now`: [floor(now to the minute) - N min, floor(now to the minute)), so the minute in progress is out.
// Gauges (CPU %, memory MB, IOPS) are averaged over samples (sum / count); byte counters are totals.
import type { Db, MongoClient } from 'mongodb';
import type { ResourceMetricsRecord } from '../../core/domain.ts';
import type { MeteredKind, MeteringReader } from './reader.ts';
import { SNAPSHOT_MINUTES, WindowFields as F, windowCollection, windowDocId, windowKey, windowShard, type WindowDoc } from './windows.ts';
export const METERING_COLLECTION = 'metering_buckets';
const METERS = ['cpu_util', 'mem_used_mb', 'net_rx_bytes', 'net_tx_bytes', 'disk_read_iops', 'disk_write_iops'] as const;
type Meter = (typeof METERS)[number];
const KIND_CODE: Record<MeteredKind, string> = { instance: 'i', host: 'h' };
const MINUTE_MS = 60_000;
/** Longest window a read accepts: a day of minutes (the graph's `lastMinutes` limit; metering/loaders.ts). */
export const MAX_LAST_MINUTES = 24 * 60;

interface Slot {
  s: number;
  c: number;
  mn: number;
  mx: number;
}
interface Bucket extends Slot {
  _id: string;
  k: MeteredKind;
  r: string;
  m: Meter;
  h: Date;
  n: number;
  sl?: Record<string, Slot>;
}

export interface MeteringStore extends MeteringReader {
  /** Aggregates per resource id over the last `lastMinutes` whole minutes before `now`; ids without samples are absent. */
  resourceMetrics(kind: MeteredKind, ids: string[], lastMinutes: number, now?: number): Promise<Map<string, ResourceMetricsRecord>>;
}

export interface MeteringStoreOptions {
  /** Closed by close(); leave it out when the caller owns the client. */
  client?: MongoClient;
  collection?: string;
}

interface Window {
  start: number;
  end: number;
  hours: number[];
}

function windowOf(lastMinutes: number, now: number): Window {
  if (!Number.isInteger(lastMinutes) || lastMinutes < 1 || lastMinutes > MAX_LAST_MINUTES) {
    throw new RangeError(`lastMinutes must be an integer from 1 to ${MAX_LAST_MINUTES}`);
  }
  const end = Math.floor(now / MINUTE_MS);
  const start = end - lastMinutes;
  const hours: number[] = [];
  for (let h = start - (start % 60); h < end; h += 60) hours.push(h);
  return { start, end, hours };
}

const hourLabel = (hourMinute: number): string => new Date(hourMinute * MINUTE_MS).toISOString().slice(0, 13);
const bucketId = (kind: MeteredKind, id: string, meter: Meter, hourMinute: number): string =>
  `${KIND_CODE[kind]}|${id}|${meter}|${hourLabel(hourMinute)}`;

/** Running totals of one meter over the window. */
class Acc {
  s = 0;
  c = 0;
  mn = Infinity;
  mx = -Infinity;
  minutes = 0;
  add(x: Slot, minutes: number): void {
    if (!x.c) return;
    this.s += x.s;
    this.c += x.c;
    this.minutes += minutes;
    if (x.mn < this.mn) this.mn = x.mn;
    if (x.mx > this.mx) this.mx = x.mx;
  }
  /** Adds the part of a bucket that falls inside the window. */
  addBucket(b: Bucket, w: Window): void {
    const hour = Math.floor(b.h.getTime() / MINUTE_MS);
    const lo = Math.max(w.start, hour) - hour;
    const hi = Math.min(w.end, hour + 60) - hour;
    if (lo === 0 && hi === 60) return this.add(b, b.n);
    for (const [minute, slot] of Object.entries(b.sl ?? {})) {
      const m = Number(minute);
      if (m >= lo && m < hi) this.add(slot, 1);
    }
  }
  get avg(): number | null {
    return this.c ? this.s / this.c : null;
  }
  get max(): number | null {
    return this.c ? this.mx : null;
  }
  get total(): number | null {
    return this.c ? this.s : null;
  }
}

export function createMeteringStore(db: Db, { client, collection = METERING_COLLECTION }: MeteringStoreOptions = {}): MeteringStore {
  const col = db.collection<Bucket>(collection);

  /** One `find` for every bucket id; limit = batchSize = ids so the reply is one batch and the cursor closes. */
  async function fetch(ids: string[]): Promise<Bucket[]> {
    if (ids.length === 0) return [];
    return col.find({ _id: { $in: ids } }, { limit: ids.length, batchSize: ids.length }).toArray();
  }

  /**
   * The pre-aggregated window when it is current (written for this minute or the previous one, as the writer
   * replaces it once a minute); null to fall back to the buckets. One `find`: an exact `_id` when the ids sit in
   * one shard document, an `$in` over the shard ids otherwise; projected to the ids either way.
   */
  async function fromWindow(kind: MeteredKind, ids: string[], lastMinutes: number, now: number): Promise<Map<string, ResourceMetricsRecord> | null> {
    const projection: Record<string, 1> = { end: 1 };
    for (const id of ids) projection[`r.${windowKey(id)}`] = 1;
    const shardIds = [...new Set(ids.map((id) => windowDocId(kind, windowShard(kind, id), lastMinutes)))];
    const filter = shardIds.length === 1 ? { _id: shardIds[0] } : { _id: { $in: shardIds } };
    const docs = await db
      .collection<WindowDoc>(windowCollection(kind))
      .find(filter, { projection, limit: shardIds.length, batchSize: shardIds.length })
      .toArray();
    const end = Math.floor(now / MINUTE_MS);
    if (docs.length !== shardIds.length || docs.some((d) => d.end < end - 1 || d.end > end)) return null;
    const values: Record<string, number[]> = Object.assign({}, ...docs.map((d) => d.r ?? {}));
    const out = new Map<string, ResourceMetricsRecord>();
    const ratio = (s: number, c: number) => (c ? s / c : null);
    for (const id of ids) {
      const v = values[windowKey(id)];
      if (!v || !v[F.minutes]) continue;
      out.set(id, {
        lastMinutes,
        minutesWithData: v[F.minutes],
        cpuUtilAvg: ratio(v[F.cpuS], v[F.cpuC]),
        cpuUtilMax: v[F.cpuC] ? v[F.cpuMx] : null,
        memUsedMbAvg: ratio(v[F.memS], v[F.memC]),
        memUsedMbMax: v[F.memC] ? v[F.memMx] : null,
        netRxBytes: v[F.rxS],
        netTxBytes: v[F.txS],
        diskReadIops: ratio(v[F.riS], v[F.riC]),
        diskWriteIops: ratio(v[F.wiS], v[F.wiC]),
      });
    }
    return out;
  }

  return {
    async resourceMetrics(kind, ids, lastMinutes, now) {
      // Asked for "now" and the window the writer pre-aggregates: one `_id` lookup.
      if (now === undefined && lastMinutes === SNAPSHOT_MINUTES) {
        const hit = await fromWindow(kind, [...new Set(ids)], lastMinutes, Date.now());
        if (hit) return hit;
      }
      now ??= Date.now();
      const w = windowOf(lastMinutes, now);
      const unique = [...new Set(ids)];
      const wanted: string[] = [];
      for (const id of unique) for (const meter of METERS) for (const hour of w.hours) wanted.push(bucketId(kind, id, meter, hour));
      const accs = new Map<string, Record<Meter, Acc>>();
      for (const b of await fetch(wanted)) {
        let perMeter = accs.get(b.r);
        if (!perMeter) accs.set(b.r, (perMeter = Object.fromEntries(METERS.map((m) => [m, new Acc()])) as Record<Meter, Acc>));
        perMeter[b.m]?.addBucket(b, w);
      }
      const out = new Map<string, ResourceMetricsRecord>();
      for (const [id, a] of accs) {
        const minutesWithData = Math.max(...METERS.map((m) => a[m].minutes));
        if (minutesWithData === 0) continue;
        out.set(id, {
          lastMinutes,
          minutesWithData,
          cpuUtilAvg: a.cpu_util.avg,
          cpuUtilMax: a.cpu_util.max,
          memUsedMbAvg: a.mem_used_mb.avg,
          memUsedMbMax: a.mem_used_mb.max,
          netRxBytes: a.net_rx_bytes.total,
          netTxBytes: a.net_tx_bytes.total,
          diskReadIops: a.disk_read_iops.avg,
          diskWriteIops: a.disk_write_iops.avg,
        });
      }
      return out;
    },

    async ping() {
      try {
        await db.command({ ping: 1 });
        return true;
      } catch {
        return false;
      }
    },

    async close() {
      await client?.close();
    },
  };
}
