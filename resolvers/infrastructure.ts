// Region, Zone and Host: the legacy region controller's CMDB joined to Nova's placement.
import type { HostResolvers, RegionResolvers, ZoneResolvers } from './generated-types.ts';
import { requireAdmin } from './authorize.ts';
import { toGlobalId } from './global-id.ts';

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
    return ctx.loaders.instancesByHost.load({ zoneName: zone?.name ?? '', hostname: h.hostname });
  },
  metrics: (h, { lastMinutes }, ctx) => ctx.metrics.load('host', h.hostname, lastMinutes),
};
