// The benchmark's NAIVE baseline: the same schema, with resolvers that call the datasources directly — no
// DataLoader, no batching, no per-request URL memo — the way many teams first write a GraphQL layer over REST.
// Every parent fetches its own children: per host a Nova list filtered by host, per instance one Glance GET, per
// volume one Cinder GET, per instance a Neutron ports call and a legacy disks call. The data they return is the
// same as Mosaic's (the bench checks), so only the cost differs.
import { MosaicError } from '../core/errors.ts';
import { expectGlobalId, fromGlobalId, intKey, toGlobalId } from '../resolvers/global-id.ts';
import { instanceStatus } from '../resolvers/compute.ts';
import { DateTime, JSONScalar } from '../resolvers/scalars.ts';
import { groupBy } from '../core/collections.ts';
import type { Disk, Host, Instance, Zone } from '../core/domain.ts';
import type { NaiveContext } from './naive-gateway.ts';

type Ctx = NaiveContext;

const requireAdmin = (ctx: Ctx, what: string) => {
  if (!ctx.caller.isAdmin) throw new MosaicError('MOSAIC_ERR_ADMIN_ONLY', `${what} is visible to administrators only.`);
};
/** One metering read per resource, as a resolver that calls the store directly would do. */
async function metricsOf(ctx: Ctx, kind: 'instance' | 'host', id: string, lastMinutes = 60) {
  if (!ctx.metering) throw new MosaicError('MOSAIC_ERR_METRICS_OFF', undefined, { service: 'mongodb' });
  return (await ctx.metering.resourceMetrics(kind, [id], lastMinutes)).get(id) ?? null;
}
const cursorOf = (id: string) => Buffer.from(`cursor:${id}`, 'utf8').toString('base64url');

/** A project by id: GET /v3/projects/{id} (admins and the project's own members may read it). */
async function project(ctx: Ctx, id: string) {
  const res = await ctx.upstream.request('keystone', {
    url: `${ctx.config.keystone.url}/projects/${encodeURIComponent(id)}`,
    headers: { 'x-auth-token': ctx.caller.token },
    accept: [403, 404],
  });
  if (res.status !== 200) return null;
  const p = res.body.project;
  return { id: p.id, name: p.name, description: p.description ?? '', domainId: p.domain_id, enabled: p.enabled !== false };
}

/** A Cinder volume as one of this instance's disks (device from its attachment to this instance). */
async function volumeDisk(ctx: Ctx, volumeId: string, instanceId: string): Promise<Disk | null> {
  const v = await ctx.cinder.getVolume(volumeId);
  if (!v) return null;
  const a = v.attachedTo.find((x) => x.serverId === instanceId);
  return { ...v.disk, instanceId, device: a?.device ?? v.disk.device };
}

async function node(ctx: Ctx, id: string) {
  const { type, key } = fromGlobalId(id);
  const typed = (value: object | null) => (value ? { ...value, __typename: type } : null);
  switch (type) {
    case 'Instance':
      return typed(await ctx.nova.getServer(key));
    case 'Host':
      if (!ctx.caller.isAdmin) return null;
      return typed((await ctx.legacy.hostsByIds([intKey(key)]))[0] ?? null);
    case 'Zone':
      return typed((await ctx.legacy.zones()).find((z) => z.id === intKey(key)) ?? null);
    case 'Disk': {
      const backend = key.slice(0, key.indexOf(':'));
      const diskId = key.slice(key.indexOf(':') + 1);
      if (backend === 'cinder') return typed((await ctx.cinder.getVolume(diskId))?.disk ?? null);
      return typed(await ctx.legacy.disk(intKey(diskId)));
    }
    default:
      return null;
  }
}

/** The dashboard, computed the direct way: per zone its hosts, per host its servers, the zone's volumes. */
async function zoneStats(ctx: Ctx, zone: Zone) {
  const hosts: Host[] = await ctx.legacy.hostsOfZone(zone.id);
  const servers = (await Promise.all(hosts.map((h) => ctx.nova.listServers({ all_tenants: '1', host: h.hostname }))))
    .flat()
    .filter((s) => s.status !== 'DELETED');
  const [volumes, storages] = await Promise.all([ctx.cinder.listVolumes({ availability_zone: zone.name }), ctx.legacy.storages()]);
  const byStatus = groupBy(servers, (s) => s.status);
  const flavor = (s: Instance) => (s.flavor && 'name' in s.flavor ? s.flavor : null);
  return {
    zone,
    hostCount: hosts.length,
    hostsOnline: hosts.filter((h) => h.status === 'ONLINE').length,
    instanceCount: servers.length,
    instancesByStatus: [...byStatus].map(([status, list]) => ({ status, count: list.length })).sort((a, b) => a.status.localeCompare(b.status)),
    vcpusTotal: hosts.reduce((n, h) => n + h.capacity.vcpus, 0),
    vcpusAllocated: servers.reduce((n, s) => n + (flavor(s)?.vcpus ?? 0), 0),
    memoryMbTotal: hosts.reduce((n, h) => n + h.capacity.memoryMb, 0),
    memoryMbAllocated: servers.reduce((n, s) => n + (flavor(s)?.ramMb ?? 0), 0),
    diskGbProvisioned:
      volumes.reduce((n, v) => n + v.disk.sizeGb, 0) + storages.filter((s) => s.zoneId === zone.id).reduce((n, s) => n + s.usedGb, 0),
    hostnames: hosts.map((h) => h.hostname),
  };
}

export const naiveResolvers = {
  DateTime,
  JSON: JSONScalar,
  Node: { __resolveType: (obj: { __typename: string }) => obj.__typename },
  Query: {
    viewer: (_: unknown, __: unknown, ctx: Ctx) => ctx.caller,
    zones: (_: unknown, __: unknown, ctx: Ctx) => ctx.legacy.zones(),
    zone: async (_: unknown, { id }: { id: string }, ctx: Ctx) =>
      (await ctx.legacy.zones()).find((z) => z.id === intKey(expectGlobalId(id, 'Zone'))) ?? null,
    instance: (_: unknown, { id }: { id: string }, ctx: Ctx) => ctx.nova.getServer(expectGlobalId(id, 'Instance')),
    instances: async (_: unknown, args: { first?: number | null; after?: string | null }, ctx: Ctx) => {
      const list = await ctx.nova.listServers(ctx.caller.isAdmin ? { all_tenants: '1' } : {});
      const first = args.first ?? 50;
      const start = args.after ? list.findIndex((i) => cursorOf(i.id) === args.after) + 1 : 0;
      const page = list.slice(start, start + first);
      const edges = page.map((n) => ({ cursor: cursorOf(n.id), node: n }));
      return {
        totalCount: list.length,
        edges,
        nodes: page,
        pageInfo: {
          hasNextPage: start + first < list.length,
          hasPreviousPage: start > 0,
          startCursor: edges[0]?.cursor ?? null,
          endCursor: edges.at(-1)?.cursor ?? null,
        },
      };
    },
    nodes: (_: unknown, { ids }: { ids: string[] }, ctx: Ctx) => Promise.all(ids.map((id) => node(ctx, id).catch((e: Error) => e))),
    fleet: async (_: unknown, __: unknown, ctx: Ctx) => {
      requireAdmin(ctx, 'The fleet dashboard');
      const zones = await ctx.legacy.zones();
      return { zones: await Promise.all(zones.map((z) => zoneStats(ctx, z))), computedAt: new Date() };
    },
  },
  Fleet: { ageMs: () => 0 },
  ZoneStats: {
    instancesByStatus: (z: { instancesByStatus: { status: string; count: number }[] }) =>
      z.instancesByStatus.map((s) => ({ status: instanceStatus(s.status), count: s.count })),
    cpuUtilAvg: async (z: { hostnames: string[] }, args: { lastMinutes?: number }, ctx: Ctx) => {
      const values = (await Promise.all(z.hostnames.map((h) => metricsOf(ctx, 'host', h, args.lastMinutes ?? 60))))
        .map((m) => m?.cpuUtilAvg)
        .filter((v): v is number => typeof v === 'number');
      return values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
    },
  },
  Zone: {
    id: (z: Zone) => toGlobalId('Zone', z.id),
    hosts: (z: Zone, _: unknown, ctx: Ctx) => {
      requireAdmin(ctx, 'Hosts');
      return ctx.legacy.hostsOfZone(z.id);
    },
  },
  Host: {
    id: (h: Host) => toGlobalId('Host', h.id),
    instances: (h: Host, _: unknown, ctx: Ctx) => ctx.nova.listServers({ all_tenants: '1', host: h.hostname }),
    metrics: (h: Host, args: { lastMinutes?: number }, ctx: Ctx) => metricsOf(ctx, 'host', h.hostname, args.lastMinutes),
  },
  Instance: {
    id: (i: Instance) => toGlobalId('Instance', i.id),
    uuid: (i: Instance) => i.id,
    status: (i: Instance) => instanceStatus(i.status),
    project: (i: Instance, _: unknown, ctx: Ctx) => project(ctx, i.projectId),
    zone: async (i: Instance, _: unknown, ctx: Ctx) => (await ctx.legacy.zones()).find((z) => z.name === i.zoneName) ?? null,
    host: async (i: Instance, _: unknown, ctx: Ctx) => {
      requireAdmin(ctx, 'Host placement');
      const zone = (await ctx.legacy.zones()).find((z) => z.name === i.zoneName);
      if (!zone) return null;
      return (await ctx.legacy.hostsOfZone(zone.id)).find((h) => h.hostname === i.hostname) ?? null;
    },
    flavor: async (i: Instance, _: unknown, ctx: Ctx) =>
      !i.flavor ? null : 'name' in i.flavor ? i.flavor : ((await ctx.nova.flavors()).find((f) => f.id === (i.flavor as { id: string }).id) ?? null),
    image: (i: Instance, _: unknown, ctx: Ctx) => (i.imageId ? ctx.glance.getImage(i.imageId) : null),
    disks: async (i: Instance, _: unknown, ctx: Ctx) => {
      const [volumes, legacy] = await Promise.all([
        Promise.all(i.volumeIds.map((id) => volumeDisk(ctx, id, i.id))),
        ctx.legacy.disksByInstances([i.id]),
      ]);
      return [...volumes.filter((d) => d !== null), ...legacy];
    },
    ports: (i: Instance, _: unknown, ctx: Ctx) => ctx.neutron.portsByDevice([i.id]),
    floatingIps: async (i: Instance, _: unknown, ctx: Ctx) => {
      // Neutron's model: floating IPs hang off ports, so list the instance's ports, then their floating IPs.
      const ports = await ctx.neutron.portsByDevice([i.id]);
      return ports.length ? ctx.neutron.floatingIpsByPort(ports.map((p) => p.id)) : [];
    },
    metrics: (i: Instance, args: { lastMinutes?: number }, ctx: Ctx) => metricsOf(ctx, 'instance', i.id, args.lastMinutes),
  },
  Flavor: { extraSpecs: (f: { extraSpecs?: Record<string, string> }) => f.extraSpecs ?? {} },
  Image: { id: (i: { id: string }) => toGlobalId('Image', i.id), imageId: (i: { id: string }) => i.id },
  Disk: { id: (d: Disk) => toGlobalId('Disk', `${d.backend.toLowerCase()}:${d.id}`) },
  Port: { id: (p: { id: string }) => toGlobalId('Port', p.id) },
  FloatingIp: { id: (f: { id: string }) => toGlobalId('FloatingIp', f.id) },
  Project: { id: (p: { id: string }) => toGlobalId('Project', p.id), projectId: (p: { id: string }) => p.id },
  Viewer: {
    project: (c: { projectId: string }, _: unknown, ctx: Ctx) => project(ctx, c.projectId),
    tokenExpiresAt: (c: { expiresAt: Date }) => c.expiresAt,
  },
};
