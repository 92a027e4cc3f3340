// Fleet and ZoneStats: the dashboard. The per-zone figures are computed in fleet-stats.ts (and cached per tenant
// scope by Query.fleet); a zone's CPU utilisation is the mean of its hosts' own averages over the window, each
// host weighted equally, read from metering for all the zone's hosts in one round trip.
import type { FleetResolvers, ZoneStatsResolvers } from './generated-types.ts';
import { instanceStatus } from './compute.ts';

export const Fleet: FleetResolvers = {
  ageMs: (f) => Math.max(0, Date.now() - f.computedAt.getTime()),
};

/** A figure, or its upstream's error raised at this field's path. */
const figure = <T>(value: T | Error): T => {
  if (value instanceof Error) throw value;
  return value;
};

/**
 * Numeric figures need no resolver: the default one returns the record's value, and an Error value is raised at
 * the field's path by graphql-js (completeValue) and graphql-jit alike.
 */
export const ZoneStats: ZoneStatsResolvers = {
  instancesByStatus: (z) => figure(z.instancesByStatus).map((s) => ({ status: instanceStatus(s.status), count: s.count })),
  cpuUtilAvg: async (z, { lastMinutes }, ctx) => {
    const metrics = await Promise.all(figure(z.hostnames).map((h) => ctx.metrics.load('host', h, lastMinutes ?? 60)));
    const values = metrics.map((m) => m?.cpuUtilAvg).filter((v): v is number => typeof v === 'number');
    return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
  },
};
