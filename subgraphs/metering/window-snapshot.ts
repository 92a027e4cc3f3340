// The demo writer of the pre-aggregated windows (their layout in windows.ts): once a minute,
// every resource's aggregates over the last SNAPSHOT_MINUTES whole minutes. Dashboards and consoles ask for
// exactly that window, and FerretDB 1.x decodes the whole collection for any filter but an exact `_id` (`$in`
// included), so one small document per kind keeps their reads fast; other windows come from the hour buckets.
import type { Db } from 'mongodb';
import type { MeteredKind } from './buckets.ts';
import { samplesOf } from './samples.ts';
import {
  SNAPSHOT_MINUTES,
  WindowFields,
  windowCollection,
  windowDocId,
  windowKey,
  windowShard,
  windowShardCount,
  type WindowDoc,
} from './windows.ts';

/** Aggregates of one resource's generated samples over [end - minutes, end). */
export function windowOf(kind: MeteredKind, id: string, end: number, minutes = SNAPSHOT_MINUTES): number[] {
  const f = WindowFields;
  const out = [0, 0, -Infinity, 0, 0, -Infinity, 0, 0, 0, 0, 0, 0, 0];
  for (let minute = end - minutes; minute < end; minute++) {
    const samples = samplesOf(kind, id, minute);
    if (samples.length > 0) out[f.minutes]++;
    for (const s of samples) {
      switch (s.meter) {
        case 'cpu_util':
          out[f.cpuS] += s.value;
          out[f.cpuC]++;
          out[f.cpuMx] = Math.max(out[f.cpuMx], s.value);
          break;
        case 'mem_used_mb':
          out[f.memS] += s.value;
          out[f.memC]++;
          out[f.memMx] = Math.max(out[f.memMx], s.value);
          break;
        case 'net_rx_bytes':
          out[f.rxS] += s.value;
          break;
        case 'net_tx_bytes':
          out[f.txS] += s.value;
          break;
        case 'disk_read_iops':
          out[f.riS] += s.value;
          out[f.riC]++;
          break;
        case 'disk_write_iops':
          out[f.wiS] += s.value;
          out[f.wiC]++;
          break;
      }
    }
  }
  return out;
}

/** Writes (replaces) every shard document of both kinds for the window ending at `end`. */
export async function writeWindowSnapshots(db: Db, resources: readonly { kind: MeteredKind; id: string }[], end: number): Promise<void> {
  for (const kind of ['instance', 'host'] as const) {
    const col = db.collection<WindowDoc>(windowCollection(kind));
    const shards = Array.from({ length: windowShardCount(kind) }, () => ({}) as Record<string, number[]>);
    for (const res of resources) if (res.kind === kind) shards[windowShard(kind, res.id)][windowKey(res.id)] = windowOf(kind, res.id, end);
    for (const [shard, r] of shards.entries()) {
      const doc: WindowDoc = { _id: windowDocId(kind, shard), kind, minutes: SNAPSHOT_MINUTES, end, r };
      await col.replaceOne({ _id: doc._id }, doc, { upsert: true });
    }
  }
}
