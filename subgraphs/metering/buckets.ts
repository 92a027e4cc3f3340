// The metering store's document layout (MongoDB "bucket pattern"): one document per resource, meter and UTC hour,
// holding the hour's totals and 60 per-minute slots. A minute slot's count doubles as the per-sample idempotency
// marker: sample j of a minute is applied only while the slot has seen exactly j samples.
// Pattern: https://www.mongodb.com/docs/manual/data-modeling/design-patterns/group-data/bucket-pattern/
//
//   { _id: "i|<nova server id>|cpu_util|2026-01-01T10", k: "instance", r: "<id>", m: "cpu_util",
//     h: ISODate("2026-01-01T10:00Z"),
//     s: <sum>, c: <sample count>, mn: <min>, mx: <max>, n: <minutes with samples>,
//     sl: { "0": { s, c, mn, mx }, …, "59": { … } } }        // only the minutes that have samples
//
// Resources: instances by Nova server id; hosts by hostname (Nova's OS-EXT-SRV-ATTR:host, the legacy region
// controller's `hostname` and the hypervisor's name all agree on it, whereas the legacy integer id exists in one
// service only). Sums, minima and maxima are BSON doubles (see toDouble), counts int32.
import { Double } from 'mongodb';

export const METERS = ['cpu_util', 'mem_used_mb', 'net_rx_bytes', 'net_tx_bytes', 'disk_read_iops', 'disk_write_iops'] as const;
export type Meter = (typeof METERS)[number];
export type MeteredKind = 'instance' | 'host';

export const METERING_COLLECTION = 'metering_buckets';
const KIND_CODE: Record<MeteredKind, string> = { instance: 'i', host: 'h' };

export const MINUTE_MS = 60_000;
export const HOUR_MINUTES = 60;

export interface SlotDoc {
  s: number;
  c: number;
  mn: number;
  mx: number;
}
export interface BucketDoc {
  _id: string;
  k: MeteredKind;
  r: string;
  m: Meter;
  h: Date;
  s: number;
  c: number;
  mn: number;
  mx: number;
  n: number;
  sl: Record<string, SlotDoc>;
}

/** Epoch minute (minutes since 1970-01-01T00:00Z) of a time. */
export const minuteOf = (ms: number): number => Math.floor(ms / MINUTE_MS);

/** First epoch minute of the hour holding `minute`. */
export const hourStartMinute = (minute: number): number => minute - (minute % HOUR_MINUTES);

/** "2026-01-01T10" for the hour holding `minute` (UTC). */
export function hourLabel(minute: number): string {
  return new Date(hourStartMinute(minute) * MINUTE_MS).toISOString().slice(0, 13);
}

export function bucketId(kind: MeteredKind, resourceId: string, meter: Meter, minute: number): string {
  return `${KIND_CODE[kind]}|${resourceId}|${meter}|${hourLabel(minute)}`;
}

/**
 * Sums, minima and maxima are written as BSON doubles whatever the value: the JS driver would send an integral
 * value as int32, and FerretDB 1.24 wraps int32 overflow in `$inc` instead of widening it
 * (internal/handler/common/params.go addNumbers), so byte counters would go negative. Sample values are
 * multiples of 1/4, so double sums are exact in any order and the seeded and live paths agree bit for bit.
 */
export const toDouble = (value: number): Double => new Double(value);
