// What the billing service charges for: one document per resource lifetime in its own collection `usage`
// (instance, volume, floating IP; its project, what it is priced by, when it started and ended). Billing owns
// these records — in a real cloud they are written from the services' notifications; here they are seeded from
// the emulated cloud — so an instance's cost needs only its uuid from the gateway, deleted resources are still
// billed for the part of the month they lived, and tenancy is checked against billing's own project ids.
import type { Collection, Db } from 'mongodb';
import type { Cloud } from '../seed/types.ts';
import { FLOATING_IP_KEY, volumeKey, type PriceBook, type PriceKind } from './prices.ts';
import { centsOf, decimal, divRound } from './money.ts';

export interface UsageDoc {
  /** The resource's id: Nova server uuid, Cinder volume uuid, `legacy:<id>`, floating IP uuid. */
  _id: string;
  kind: PriceKind;
  projectId: string;
  name: string;
  /** The price list key: flavor name, `volumeType/BACKEND`, `floating-ip`. */
  priceKey: string;
  /** GB for volumes; 1 otherwise. */
  size: number;
  start: Date;
  /** Null while the resource exists. */
  end: Date | null;
}

export const USAGE_COLLECTION = 'usage';
export const usageOf = (db: Db): Collection<UsageDoc> => db.collection<UsageDoc>(USAGE_COLLECTION);

/** The usage records of a seeded cloud: every server, volume, attached legacy disk and floating IP. */
export function seedUsage(cloud: Pick<Cloud, 'servers' | 'flavors' | 'volumes' | 'legacyDisks' | 'floatingIps'>): UsageDoc[] {
  const flavorName = new Map(cloud.flavors.map((f) => [f.id, f.name]));
  const serverProject = new Map(cloud.servers.map((s) => [s.id, s.projectId]));
  const servers = cloud.servers.map((s): UsageDoc => ({
    _id: s.id,
    kind: 'FLAVOR',
    projectId: s.projectId,
    name: s.name,
    priceKey: flavorName.get(s.flavorId) ?? 'unknown',
    size: 1,
    start: s.createdAt,
    end: null,
  }));
  const volumes = cloud.volumes.map((v): UsageDoc => ({
    _id: v.id,
    kind: 'VOLUME',
    projectId: v.projectId,
    name: v.name,
    priceKey: volumeKey(v.volumeType, 'CINDER'),
    size: v.size,
    start: v.createdAt,
    end: null,
  }));
  const legacy = cloud.legacyDisks
    .filter((d) => d.instanceUuid && serverProject.has(d.instanceUuid))
    .map((d): UsageDoc => ({
      _id: `legacy:${d.id}`,
      kind: 'VOLUME',
      projectId: serverProject.get(d.instanceUuid!)!,
      name: d.name,
      priceKey: volumeKey(d.type, 'LEGACY'),
      size: d.sizeGb,
      start: d.createdAt,
      end: null,
    }));
  const fips = cloud.floatingIps.map((f): UsageDoc => ({
    _id: f.id,
    kind: 'FLOATING_IP',
    projectId: f.projectId,
    name: f.address,
    priceKey: FLOATING_IP_KEY,
    size: 1,
    start: f.createdAt,
    end: null,
  }));
  return [...servers, ...volumes, ...legacy, ...fips];
}

const HOUR_MS = 3_600_000n;
/** A GB-month is 730 hours (365 × 24 / 12), whatever the month's length. */
const GB_MONTH_MS = 730n * HOUR_MS;

export interface Charge {
  /** Exact cents, rounded once, half up. */
  cents: bigint;
  /** Hours (instances, floating IPs) or GB-months (volumes), 4 decimals. */
  quantity: string;
  /** The price in force at the end of the charged time (micro-units), null when no price covers it. */
  unitMicros: bigint | null;
  unit: 'hour' | 'GB-month';
}

/**
 * What a resource costs over [from, to): its lifetime within the window, split at every price change, each part
 * at its price — summed as an exact rational and rounded once. Null when no price covers any part of it.
 */
export function charge(usage: UsageDoc, from: Date, to: Date, now: Date, prices: PriceBook): Charge | null {
  const list = prices.get(`${usage.kind}:${usage.priceKey}`);
  if (!list || list.length === 0) return null;
  const unit = list[0].unit;
  const start = Math.max(from.getTime(), usage.start.getTime());
  const end = Math.min(to.getTime(), (usage.end ?? now).getTime(), now.getTime());
  let numerator = 0n; // micros × GB × ms
  let durationMs = 0n;
  let unitMicros: bigint | null = null;
  for (let i = 0; i < list.length; i++) {
    const segmentStart = Math.max(start, list[i].effectiveFrom.getTime());
    const segmentEnd = Math.min(end, i + 1 < list.length ? list[i + 1].effectiveFrom.getTime() : Infinity);
    if (segmentEnd <= segmentStart) continue;
    const ms = BigInt(segmentEnd - segmentStart);
    numerator += BigInt(list[i].micros) * BigInt(usage.size) * ms;
    durationMs += ms;
    unitMicros = BigInt(list[i].micros);
  }
  const unitMs = unit === 'hour' ? HOUR_MS : GB_MONTH_MS;
  const covered = list.some((p) => p.effectiveFrom.getTime() < Math.max(end, start + 1));
  if (!covered) return null;
  return {
    cents: centsOf(numerator, unitMs),
    quantity: decimal(divRound(durationMs * BigInt(usage.size) * 10_000n, unitMs), 4),
    unitMicros: unitMicros ?? BigInt(list[list.length - 1].micros),
    unit,
  };
}
