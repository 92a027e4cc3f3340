// The metering database's pre-aggregated windows: the contract between the metering writer and Mosaic's reader.
// For each kind (instance, host) one document `{_id: "<kind>|<minutes>", end, r: {<resource>: [fields]}}` holds
// every resource's aggregates over the window [end - minutes, end) of epoch minutes, replaced once a minute. A
// read of that window is then one lookup by `_id`, the one filter FerretDB 1.x pushes down to its storage.

export const WINDOW_COLLECTION = 'metering_windows';
export const SNAPSHOT_MINUTES = 60;

/** Positions in a resource's array: sums and counts give averages, maxima are kept, totals are sums. */
export const WindowFields = {
  cpuS: 0, cpuC: 1, cpuMx: 2, memS: 3, memC: 4, memMx: 5, rxS: 6, txS: 7, riS: 8, riC: 9, wiS: 10, wiC: 11, minutes: 12,
} as const;

export interface WindowDoc {
  _id: string;
  kind: 'instance' | 'host';
  minutes: number;
  /** The window is [end - minutes, end) in epoch minutes. */
  end: number;
  r: Record<string, number[]>;
}

export const windowDocId = (kind: 'instance' | 'host', minutes = SNAPSHOT_MINUTES): string => `${kind}|${minutes}`;

/** Resource ids as field names: '.' and a leading '$' would be read as paths and operators. */
export const windowKey = (id: string): string => id.replace(/%/g, '%25').replace(/\./g, '%2E').replace(/^\$/, '%24');
