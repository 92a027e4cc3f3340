// Deterministic metering samples: every value is a pure function of (kind, resource id, meter, epoch minute,
// sample index) — a hash, no state — so the seed, the live feed and the tests all agree on what was measured
// without storing raw samples anywhere. Each resource polls all six meters 2–4 times a minute (a count that
// varies by minute, so minute minima, maxima and averages differ). Values have plausible shapes: CPU follows a
// daily wave per resource, memory drifts slowly, network and disk are bursty.
// Every value is a multiple of 1/4, so sums are exact doubles in any order (see buckets.ts toDouble).
import { METERS, MINUTE_MS, type Meter, type MeteredKind } from './buckets.ts';

export interface Sample {
  kind: MeteredKind;
  resourceId: string;
  meter: Meter;
  /** Epoch minute (minutes since 1970-01-01T00:00Z). */
  minute: number;
  /** 0-based index of the sample within its minute. */
  index: number;
  value: number;
}

const DAY_MINUTES = 1440;
const METER_INDEX = new Map<Meter, number>(METERS.map((m, i) => [m, i]));

/** murmur3's finaliser over two 32-bit words: cheap and well mixed, enough for fixture data. */
function mix(a: number, b: number): number {
  let h = Math.imul(a ^ Math.imul(b, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
const unit = (h: number): number => h / 4294967296;

const seeds = new Map<string, number>();
/** FNV-1a of the resource id, cached: seeding medium asks for it about a hundred million times. */
function seedOf(resourceId: string): number {
  let h = seeds.get(resourceId);
  if (h === undefined) {
    h = 0x811c9dc5;
    for (let i = 0; i < resourceId.length; i++) h = Math.imul(h ^ resourceId.charCodeAt(i), 0x01000193);
    h >>>= 0;
    if (seeds.size > 100_000) seeds.clear();
    seeds.set(resourceId, h);
  }
  return h;
}

/** How many samples the resource took in that minute: 2, 3 or 4. */
export function samplesPerMinute(resourceId: string, minute: number): number {
  return 2 + (mix(seedOf(resourceId), minute) % 3);
}

/** When, within its minute, sample `index` of `count` was taken (ms after the minute starts). */
export const sampleOffsetMs = (count: number, index: number): number => Math.floor((index * MINUTE_MS) / count);

const quarter = (v: number): number => Math.round(v * 4) / 4;
const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

export function sampleValue(kind: MeteredKind, resourceId: string, meter: Meter, minute: number, index: number): number {
  const seed = seedOf(resourceId);
  const m = METER_INDEX.get(meter)!;
  const level = unit(mix(seed, 101 + m)); // the resource's own typical level for this meter
  const phase = unit(mix(seed, 211)) * DAY_MINUTES; // where its day peaks
  const wave = Math.sin((2 * Math.PI * (minute + phase)) / DAY_MINUTES); // -1..1 over a day
  const noise = unit(mix(mix(mix(seed, 307 + m), minute), index + 1)) * 2 - 1; // -1..1 per sample
  const host = kind === 'host';
  switch (meter) {
    case 'cpu_util': {
      const base = host ? 15 + level * 45 : 3 + level * 55;
      return quarter(clamp(base + wave * (host ? 15 : 20) + noise * (host ? 6 : 10), 0, 100));
    }
    case 'mem_used_mb': {
      const base = host ? 32_768 + level * 360_000 : 256 + level * 16_000;
      return Math.round(base * (1 + 0.08 * wave + 0.02 * noise));
    }
    case 'net_rx_bytes':
    case 'net_tx_bytes': {
      // Bytes moved since the previous sample; transmit runs at a fraction of receive.
      const base = (host ? 2e8 : 1e4 + level * 3e7) * (meter === 'net_tx_bytes' ? 0.35 + 0.4 * level : 1);
      return Math.round(base * (1 + 0.6 * wave) * (0.5 + 0.5 * (noise + 1)));
    }
    case 'disk_read_iops':
    case 'disk_write_iops': {
      const base = host ? 500 + level * 6000 : level * 900;
      return Math.max(0, Math.round(base * (1 + 0.4 * wave) * (0.6 + 0.4 * (noise + 1))));
    }
  }
}

/** Every sample of one resource and minute, all meters, in (meter, index) order. */
export function samplesOf(kind: MeteredKind, resourceId: string, minute: number): Sample[] {
  const count = samplesPerMinute(resourceId, minute);
  const out: Sample[] = [];
  for (const meter of METERS) {
    for (let index = 0; index < count; index++) {
      out.push({ kind, resourceId, meter, minute, index, value: sampleValue(kind, resourceId, meter, minute, index) });
    }
  }
  return out;
}
