// What the gateway should answer, computed straight from the seeded Cloud (the emulators' own data) and never
// through the gateway's code: joins, counts and sums are redone here from the seed, so a gateway test compares
// its answers field by field against what the cloud really holds. Lists whose order the graph does not promise
// come back sorted by a stable key; `canonical*` sorts a gateway answer the same way before comparing.
import type { Cloud, LegacyDisk, Server, Volume } from '../../subgraphs/seed/types.ts';
import { toGlobalId } from '../../resolvers/global-id.ts';

export interface ExpectedDisk {
  id: string;
  name: string;
  sizeGb: number;
  status: string;
  volumeType: string;
  bootable: boolean;
  backend: 'CINDER' | 'LEGACY';
  device: string | null;
}

const HOST_STATUS = ['OFFLINE', 'ONLINE', 'MAINTENANCE'] as const;
const byKey =
  <T>(key: (t: T) => string | number) =>
  (a: T, b: T) => {
    const [x, y] = [key(a), key(b)];
    return x < y ? -1 : x > y ? 1 : 0;
  };
/** Nova's default order: created_at desc, then id desc. */
export const novaOrder = (a: Server, b: Server) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1);

/** Sorts the unordered lists inside a gateway answer (disks by id or device, ports by id or MAC, IPs by address). */
export function canonicalInstance<T extends Record<string, any>>(i: T): T {
  const out: Record<string, any> = { ...i };
  if (Array.isArray(i.disks)) out.disks = [...i.disks].sort(byKey((d: any) => d.id ?? d.device ?? d.sizeGb));
  if (Array.isArray(i.ports)) out.ports = [...i.ports].sort(byKey((p: any) => p.id ?? p.macAddress));
  if (Array.isArray(i.floatingIps)) out.floatingIps = [...i.floatingIps].sort(byKey((f: any) => f.address));
  return out as T;
}

export function seedView(cloud: Cloud) {
  const live = cloud.servers.filter((s) => s.status !== 'DELETED');
  const projectOf = (id: string) => cloud.projects.find((p) => p.id === id)!;
  const storageZone = new Map(cloud.storages.map((s) => [s.id, s.zoneId]));

  const view = {
    projectIdOf: (username: string) => cloud.users.find((u) => u.name === username)!.projectId,
    /** A project's servers in Nova's order (newest first). */
    serversOf: (projectId: string) => live.filter((s) => s.projectId === projectId).sort(novaOrder),
    serversOnHost: (hostname: string) => live.filter((s) => s.host === hostname),
    serverById: (id: string) => cloud.servers.find((s) => s.id === id)!,
    flavorOf: (s: Server) => cloud.flavors.find((f) => f.id === s.flavorId)!,
    /** Null for a server booted from a volume (Nova's image ""). */
    imageOf: (s: Server) => (s.imageId ? cloud.images.find((i) => i.id === s.imageId)! : null),
    volumesOf: (serverId: string): Volume[] => cloud.volumes.filter((v) => v.attachments.some((a) => a.serverId === serverId)),
    /** Attached legacy disks only: the region controller lists disks with status 1 for an instance. */
    legacyDisksOf: (serverId: string): LegacyDisk[] => cloud.legacyDisks.filter((d) => d.instanceUuid === serverId && d.status === 1),
    /** Cinder volumes attached to the server and its attached legacy disks, as the graph's Disk, sorted by id. */
    disksOf(serverId: string): ExpectedDisk[] {
      const cinder = view.volumesOf(serverId).map((v): ExpectedDisk => ({
        id: toGlobalId('Disk', `cinder:${v.id}`),
        name: v.name,
        sizeGb: v.size,
        status: v.status,
        volumeType: v.volumeType,
        bootable: v.bootable,
        backend: 'CINDER',
        device: v.attachments.find((a) => a.serverId === serverId)!.device,
      }));
      const legacy = view.legacyDisksOf(serverId).map((d): ExpectedDisk => ({
        id: toGlobalId('Disk', `legacy:${d.id}`),
        name: d.name,
        sizeGb: d.sizeGb,
        status: 'in-use',
        volumeType: d.type,
        bootable: false,
        backend: 'LEGACY',
        device: d.device,
      }));
      return [...cinder, ...legacy].sort(byKey((d) => d.id));
    },
    portsOf: (serverId: string) => cloud.ports.filter((p) => p.deviceId === serverId),
    floatingIpsOf(serverId: string) {
      const ports = new Set(view.portsOf(serverId).map((p) => p.id));
      return cloud.floatingIps.filter((f) => f.portId !== null && ports.has(f.portId));
    },
    hostStatus: (status: 0 | 1 | 2) => HOST_STATUS[status],
    zonesInOrder: () => [...cloud.zones].sort(byKey((z) => z.id)),
    hostsOfZone: (zoneId: number) => cloud.hosts.filter((h) => h.zoneId === zoneId).sort(byKey((h) => h.id)),

    /** The instance-detail workload's answer (metrics left out); `host` is null for a member (FORBIDDEN). */
    instanceDetail(s: Server, admin: boolean) {
      const project = projectOf(s.projectId);
      const flavor = view.flavorOf(s);
      const image = view.imageOf(s);
      return {
        id: toGlobalId('Instance', s.id),
        name: s.name,
        status: s.status,
        createdAt: s.createdAt.toISOString(),
        project: { id: toGlobalId('Project', project.id), name: project.name },
        zone: { name: s.zone },
        host: admin ? { hostname: s.host } : null,
        flavor: { name: flavor.name, vcpus: flavor.vcpus, ramMb: flavor.ram, diskGb: flavor.disk },
        image: image ? { id: toGlobalId('Image', image.id), name: image.name } : null,
        disks: view.disksOf(s.id),
        ports: view
          .portsOf(s.id)
          .sort(byKey((p) => toGlobalId('Port', p.id)))
          .map((p) => ({
            id: toGlobalId('Port', p.id),
            macAddress: p.macAddress,
            fixedIps: p.fixedIps.map((f) => ({ ipAddress: f.ipAddress })),
          })),
        floatingIps: view
          .floatingIpsOf(s.id)
          .map((f) => ({ address: f.address }))
          .sort(byKey((f) => f.address)),
      };
    },

    /** The dashboard's figures for one zone, as datasources/fleet.ts defines them, from the seed alone. */
    zoneStats(zoneId: number) {
      const zone = cloud.zones.find((z) => z.id === zoneId)!;
      const hosts = cloud.hosts.filter((h) => h.zoneId === zoneId);
      const servers = live.filter((s) => s.zone === zone.name);
      const byStatus = new Map<string, number>();
      for (const s of servers) byStatus.set(s.status, (byStatus.get(s.status) ?? 0) + 1);
      const sum = <T>(items: T[], f: (t: T) => number) => items.reduce((acc, t) => acc + f(t), 0);
      return {
        zone: { name: zone.name },
        hostCount: hosts.length,
        hostsOnline: hosts.filter((h) => h.status === 1).length,
        instanceCount: servers.length,
        instancesByStatus: [...byStatus].map(([status, count]) => ({ status, count })).sort(byKey((x) => x.status)),
        vcpusTotal: sum(hosts, (h) => h.vcpus),
        vcpusAllocated: sum(servers, (s) => view.flavorOf(s).vcpus),
        memoryMbTotal: sum(hosts, (h) => h.memoryMb),
        memoryMbAllocated: sum(servers, (s) => view.flavorOf(s).ram),
        // Every Cinder volume of the zone (attached or not, any project) plus every legacy disk on the zone's storages.
        diskGbProvisioned:
          sum(
            cloud.volumes.filter((v) => v.zone === zone.name),
            (v) => v.size,
          ) +
          sum(
            cloud.legacyDisks.filter((d) => storageZone.get(d.storageId) === zoneId),
            (d) => d.sizeGb,
          ),
      };
    },
  };
  return view;
}

export type SeedView = ReturnType<typeof seedView>;
