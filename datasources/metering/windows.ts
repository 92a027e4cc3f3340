// The metering database's pre-aggregated windows: the contract between the metering writer and Mosaic's reader.
// Per kind (instance, host) a collection `metering_windows_<kind>` of shard documents
// `{_id: "<kind>|<minutes>|<shard>", end, r: {<resource>: [fields]}}` holds every resource's aggregates over the
// window [end - minutes, end) of epoch minutes, replaced once a minute. A read that touches one shard is one
// lookup by `_id` (the one filter FerretDB 1.x pushes down to its storage); a batch across shards is one `$in`
// over a collection of a few small documents. Instances are spread over 16 shards so one instance's read decodes
// a sixteenth of them; hosts are few and share one document.

export const SNAPSHOT_MINUTES = 60;
const SHARDS: Record<'instance' | 'host', number> = { instance: 16, host: 1 };

export const windowCollection = (kind: 'instance' | 'host'): string => `metering_windows_${kind}`;

/** Which shard document holds a resource (FNV-1a of its id). */
export function windowShard(kind: 'instance' | 'host', id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return (h >>> 0) % SHARDS[kind];
}

export const windowShardCount = (kind: 'instance' | 'host'): number => SHARDS[kind];

/** Positions in a resource's array: sums and counts give averages, maxima are kept, totals are sums. */
export const WindowFields = {
  cpuS: 0,
  cpuC: 1,
  cpuMx: 2,
  memS: 3,
  memC: 4,
  memMx: 5,
  rxS: 6,
  txS: 7,
  riS: 8,
  riC: 9,
  wiS: 10,
  wiC: 11,
  minutes: 12,
} as const;

export interface WindowDoc {
  _id: string;
  kind: 'instance' | 'host';
  minutes: number;
  /** The window is [end - minutes, end) in epoch minutes. */
  end: number;
  r: Record<string, number[]>;
}

export const windowDocId = (kind: 'instance' | 'host', shard: number, minutes = SNAPSHOT_MINUTES): string => `${kind}|${minutes}|${shard}`;

/** Resource ids as field names: '.' and a leading '$' would be read as paths and operators. */
export const windowKey = (id: string): string => id.replace(/%/g, '%25').replace(/\./g, '%2E').replace(/^\$/, '%24');
