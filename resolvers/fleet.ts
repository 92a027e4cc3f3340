// Fleet and ZoneStats: the dashboard. The per-zone figures are computed (and cached per caller) in
// datasources/fleet.ts; CPU utilisation is read from metering for the zone's hosts in one round trip.
import type { FleetResolvers, ZoneStatsResolvers } from './generated-types.ts';
import { instanceStatus } from './compute.ts';

export const Fleet: FleetResolvers = {
  ageMs: (f) => Math.max(0, Date.now() - f.computedAt.getTime()),
};

export const ZoneStats: ZoneStatsResolvers = {
  instancesByStatus: (z) => z.instancesByStatus.map((s) => ({ status: instanceStatus(s.status), count: s.count })),
  cpuUtilAvg: async (z, { lastMinutes }, ctx) => {
    const metrics = await Promise.all(z.hostnames.map((h) => ctx.metrics.load('host', h, lastMinutes ?? 60)));
    const values = metrics.map((m) => m?.cpuUtilAvg).filter((v): v is number => typeof v === 'number');
    return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
  },
};
