// Region, Zone and Host: the legacy region controller's CMDB joined to Nova's placement of instances, and to the
// scheduler's view of each host: usage from Nova os-hypervisors or Placement (datasources/placement/loaders.ts),
// aggregates and availability zone from one os-aggregates call per request (nova/loaders.ts hostAggregates).
// Host.instances fails with MOSAIC_ERR_PARTIAL_LIST when Nova returned down-cell servers that may run on the host.
import type { HostResolvers, RegionResolvers, ZoneResolvers } from './generated-types.ts';
import { requireAdmin } from './authorize.ts';
import { toGlobalId } from './global-id.ts';
import { PartialListError } from './partial-record.ts';

export const Region: RegionResolvers = {
  zones: (_, __, ctx) => ctx.loaders.zones(),
};

export const Zone: ZoneResolvers = {
  id: (z) => toGlobalId('Zone', z.id),
  hosts: (z, _, ctx) => {
    requireAdmin(ctx.caller, 'Hosts');
    return ctx.loaders.hostsByZone.load(z.id);
  },
};

export const Host: HostResolvers = {
  id: (h) => toGlobalId('Host', h.id),
  zone: async (h, _, ctx) => (await ctx.loaders.zones()).find((z) => z.id === h.zoneId) ?? null,
  instances: async (h, _, ctx) => {
    const zone = (await ctx.loaders.zones()).find((z) => z.id === h.zoneId);
    const key = { zoneName: zone?.name ?? '', hostname: h.hostname };
    const placed = await ctx.loaders.instancesByHost.load(key);
    // A down cell's servers name no host: a list without them would read as whole (README "Partial records").
    const unplaceable = ctx.loaders.unplaceableOnHost(key);
    if (unplaceable > 0) throw new PartialListError('their host', unplaceable, placed.length);
    return placed;
  },
  metrics: (h, { lastMinutes }, ctx) => ctx.metrics.load('host', h.hostname, lastMinutes),
  usage: (h, _, ctx) => {
    requireAdmin(ctx.caller, 'Host usage');
    return ctx.loaders.hostUsage.load(h.hostname);
  },
  aggregates: (h, _, ctx) => {
    requireAdmin(ctx.caller, 'Host aggregates');
    return ctx.loaders.hostAggregates.load(h.hostname);
  },
  availabilityZone: async (h, _, ctx) => {
    requireAdmin(ctx.caller, 'Host aggregates');
    const aggregates = await ctx.loaders.hostAggregates.load(h.hostname);
    return aggregates.find((a) => a.availabilityZone !== null)?.availabilityZone ?? null;
  },
};
