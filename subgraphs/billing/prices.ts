// The billing service's price list, in its own MongoDB collection `prices`: per flavor-hour by flavor name, per
// GB-month by volume type and backend, per floating-IP-hour; each price in micro-units of its currency with the
// instant it takes effect, so a price change is a new document and history is kept (a month that spans a change
// is charged at each price for its part of the month). Seeded from the emulated cloud's flavors and volume types.
import type { Collection, Db } from 'mongodb';
import type { Cloud } from '../seed/types.ts';

export type PriceKind = 'FLAVOR' | 'VOLUME' | 'FLOATING_IP';

export interface PriceDoc {
  _id: string;
  kind: PriceKind;
  /** The flavor name; `volumeType/BACKEND` for volumes; `floating-ip`. */
  key: string;
  /** `hour` (flavors, floating IPs) or `GB-month` (volumes: 730 hours, the usual cloud convention). */
  unit: 'hour' | 'GB-month';
  micros: number;
  currency: string;
  effectiveFrom: Date;
}

export const PRICES_COLLECTION = 'prices';
export const CURRENCY = 'EUR';
/** Before every seeded resource (the demo cloud's oldest are from 2025). */
export const PRICE_LIST_START = new Date(Date.UTC(2024, 0, 1));

export const volumeKey = (volumeType: string, backend: 'CINDER' | 'LEGACY') => `${volumeType}/${backend}`;
export const FLOATING_IP_KEY = 'floating-ip';

/** 0.01 per vCPU-hour plus 0.005 per GB of RAM-hour: m1.tiny (1 vCPU, 512 MB) is 0.0125 an hour. */
export const flavorMicros = (vcpus: number, ramMb: number) => vcpus * 10_000 + Math.round((ramMb * 5_000) / 1024);

const VOLUME_MICROS: Record<string, number> = { ssd: 120_000, hdd: 40_000, __DEFAULT__: 60_000, sata: 30_000 };

/** The seeded price list for a cloud: every flavor, every volume type on its backend, floating IPs. */
export function seedPrices(cloud: Pick<Cloud, 'flavors' | 'volumes' | 'legacyDisks'>): PriceDoc[] {
  const base = { currency: CURRENCY, effectiveFrom: PRICE_LIST_START };
  const flavors = cloud.flavors.map((f): PriceDoc => ({
    _id: `FLAVOR:${f.name}:0`,
    kind: 'FLAVOR',
    key: f.name,
    unit: 'hour',
    micros: flavorMicros(f.vcpus, f.ram),
    ...base,
  }));
  const volumeTypes = new Set([
    ...cloud.volumes.map((v) => volumeKey(v.volumeType, 'CINDER')),
    ...cloud.legacyDisks.map((d) => volumeKey(d.type, 'LEGACY')),
  ]);
  const volumes = [...volumeTypes].sort().map((key): PriceDoc => ({
    _id: `VOLUME:${key}:0`,
    kind: 'VOLUME',
    key,
    unit: 'GB-month',
    micros: VOLUME_MICROS[key.split('/')[0]] ?? 50_000,
    ...base,
  }));
  const fip: PriceDoc = { _id: `FLOATING_IP:${FLOATING_IP_KEY}:0`, kind: 'FLOATING_IP', key: FLOATING_IP_KEY, unit: 'hour', micros: 5_000, ...base };
  return [...flavors, ...volumes, fip];
}

export const pricesOf = (db: Db): Collection<PriceDoc> => db.collection<PriceDoc>(PRICES_COLLECTION);

/** Every price, by `kind:key`, oldest first: what one request charges with (a few dozen documents, one read). */
export type PriceBook = Map<string, PriceDoc[]>;

export async function readPriceBook(db: Db): Promise<PriceBook> {
  const docs = await pricesOf(db).find({}).toArray();
  const book: PriceBook = new Map();
  for (const doc of docs.sort((a, b) => a.effectiveFrom.getTime() - b.effectiveFrom.getTime())) {
    const k = `${doc.kind}:${doc.key}`;
    book.set(k, [...(book.get(k) ?? []), doc]);
  }
  return book;
}
