// The floor of each workload, computed from the seeded cloud's data (never hard-coded): the fewest upstream
// calls the query needs — one call per upstream endpoint per query level, as far as each upstream allows
// (DESIGN.md "Batching: the rules") — and the critical-path floor, levels × upstream latency.
//
// Upstream limits the floors respect (the emulators follow the real services):
//  - Nova servers/detail: no multi-host or multi-uuid filter; marker pages of at most 1000 with a next link only
//    when a page is full, so a list of N servers costs floor(N/1000)+1 calls, one after the other. A batch of
//    hosts costs the cheapest of: one list per host, one list per zone (`availability_zone`), one all_tenants list.
//  - Cinder volumes: no filter for many ids or many servers; single GETs in parallel, or a list (all_tenants, or
//    one zone with `availability_zone`) of floor(V/1000)+1 pages — whichever is fewer calls.
//  - Glance: `id=in:a,b,…` takes many ids; chunks keep the URL under ~4 KB (DESIGN.md), ~100 ids a chunk.
//  - Neutron: ports are not paged unless asked, so every port the caller may see is one call; floating IPs
//    likewise one call. Repeated filters (`device_id=A&device_id=B`) would also be one call at these sizes.
//  - Legacy region controller: `/zones` one call; `/zones/{id}/hosts` per zone (no multi-zone filter), offset
//    pages of 100; `/hosts?ids=` and `/disks?instance_uuids=` take at most 50 keys; `/disks/{id}` one by one.
//  - Keystone: 0 calls for the token (the gateway caches validation); one `GET /v3/projects` when the query
//    asks for a project (admin callers).
import type { Cloud, Server } from '../subgraphs/seed/types.ts';
import { SERVICE_NAMES, type ServiceName } from '../subgraphs/demo-cloud.ts';
import type { Workload } from './workloads.ts';

/** The emulated services the bench counts calls of. */
export type Service = ServiceName;
export const SERVICES = SERVICE_NAMES;

export interface Floor {
  calls: Record<Service, number>;
  total: number;
  /** Query levels that need an upstream round trip (the critical-path floor is levels × latency). */
  levels: number;
  /** Sequential upstream rounds along the fewest-calls plan: marker pages of one list follow each other. */
  rounds: number;
  /** How each number was computed, with the figures from the seeded cloud. */
  notes: string[];
}

/** One way to fetch something at a level: how many calls, and how many of them must follow each other. */
interface Fetch {
  service: Service;
  calls: number;
  sequential: number;
  how: string;
}

const PAGE = 1000; // Nova and Cinder osapi_max_limit
const LEGACY_PAGE = 100;
const LEGACY_MAX_IDS = 50;
const MAX_URL_BYTES = 4000;

const markerPages = (n: number) => Math.floor(n / PAGE) + 1;
const legacyPages = (n: number) => Math.max(1, Math.ceil(n / LEGACY_PAGE));
/** Offset pages: the first answers `total`, the rest can go in parallel. */
const legacySequential = (n: number) => (legacyPages(n) > 1 ? 2 : 1);

/** Glance `id=in:` chunks under the URL budget: each id costs its 36 bytes and a comma. */
function glanceChunks(ids: number, glanceUrl: string): number {
  if (ids === 0) return 0;
  const prefix = `${glanceUrl}/v2/images?visibility=all&limit=1000&id=in:`.length;
  const perChunk = Math.floor((MAX_URL_BYTES - prefix) / 37);
  return Math.ceil(ids / perChunk);
}

const cheapest = (options: Fetch[]): Fetch => options.filter((o) => o.calls >= 0).sort((a, b) => a.calls - b.calls || a.sequential - b.sequential)[0];

function groupCount<T>(items: T[], key: (t: T) => string): Map<string, number> {
  const m = new Map<string, number>();
  for (const i of items) m.set(key(i), (m.get(key(i)) ?? 0) + 1);
  return m;
}

class Plan {
  private readonly levels: Fetch[][] = [];
  level(...fetches: (Fetch | null)[]): this {
    this.levels.push(fetches.filter((f): f is Fetch => f !== null && f.calls > 0));
    return this;
  }
  floor(): Floor {
    const calls = Object.fromEntries(SERVICES.map((s) => [s, 0])) as Record<Service, number>;
    const notes: string[] = [];
    let rounds = 0;
    this.levels.forEach((fetches, i) => {
      for (const f of fetches) {
        calls[f.service] += f.calls;
        notes.push(`L${i + 1} ${f.service} ${f.calls}: ${f.how}`);
      }
      rounds += Math.max(1, ...fetches.map((f) => f.sequential));
    });
    const levels = this.levels.filter((l) => l.length > 0).length;
    return { calls, total: SERVICES.reduce((a, s) => a + calls[s], 0), levels, rounds: Math.max(rounds, levels), notes };
  }
}

/** Facts about the seeded cloud the floors need. */
function facts(cloud: Cloud) {
  const servers = cloud.servers.filter((s) => s.status !== 'DELETED');
  const zoneName = (id: number) => cloud.zones.find((z) => z.id === id)!.name;
  const hostsInZone = groupCount(cloud.hosts, (h) => zoneName(h.zoneId));
  const volumesOf = new Map<string, number>();
  for (const v of cloud.volumes) for (const a of v.attachments) volumesOf.set(a.serverId, (volumesOf.get(a.serverId) ?? 0) + 1);
  const fipPorts = new Set(cloud.floatingIps.filter((f) => f.portId).map((f) => f.portId));
  const withFip = new Set(cloud.ports.filter((p) => fipPorts.has(p.id)).map((p) => p.deviceId));
  return { servers, zoneName, hostsInZone, volumesOf, withFip };
}

export function computeFloors(cloud: Cloud, workloads: Workload[], glanceUrl = 'http://127.0.0.1:65535'): Record<string, Floor> {
  const f = facts(cloud);
  const allVolumes = cloud.volumes.length; // an admin's all_tenants list: attached and spare volumes
  const distinctImages = (list: Server[]) => new Set(list.map((s) => s.imageId).filter(Boolean)).size;
  const attachedVolumes = (list: Server[]) => list.reduce((n, s) => n + (f.volumesOf.get(s.id) ?? 0), 0);

  /** Servers of a set of hosts, for an admin: per host, per zone or all_tenants — the fewest calls. */
  const novaByHosts = (hostnames: string[], zones: string[]): Fetch => {
    const perHost = groupCount(f.servers, (s) => s.host);
    const perZone = groupCount(f.servers, (s) => s.zone);
    const hostCalls = hostnames.reduce((n, h) => n + markerPages(perHost.get(h) ?? 0), 0);
    const zoneCalls = zones.reduce((n, z) => n + markerPages(perZone.get(z) ?? 0), 0);
    const zoneSeq = Math.max(...zones.map((z) => markerPages(perZone.get(z) ?? 0)));
    return cheapest([
      { service: 'nova', calls: hostCalls, sequential: 1, how: `one servers/detail?host= per host (${hostnames.length} hosts)` },
      {
        service: 'nova',
        calls: zoneCalls,
        sequential: zoneSeq,
        how: `servers/detail?availability_zone= per zone, floor(n/1000)+1 pages each (${zones.map((z) => perZone.get(z) ?? 0).join('+')} servers)`,
      },
      {
        service: 'nova',
        calls: markerPages(f.servers.length),
        sequential: markerPages(f.servers.length),
        how: `all_tenants list, floor(${f.servers.length}/1000)+1 pages`,
      },
    ]);
  };
  /** Cinder volumes of a set of servers: single GETs, the zone's list or the all_tenants list. */
  const cinderFor = (list: Server[], zone?: string, scopeVolumes = allVolumes, scope = 'all_tenants'): Fetch => {
    const single = attachedVolumes(list);
    const options: Fetch[] = [
      { service: 'cinder', calls: single, sequential: 1, how: `one GET volumes/{id} per attached volume (${single})` },
      {
        service: 'cinder',
        calls: markerPages(scopeVolumes),
        sequential: markerPages(scopeVolumes),
        how: `${scope} volumes/detail, floor(${scopeVolumes}/1000)+1 pages`,
      },
    ];
    if (zone) {
      const inZone = cloud.volumes.filter((v) => v.zone === zone).length;
      options.push({
        service: 'cinder',
        calls: markerPages(inZone),
        sequential: markerPages(inZone),
        how: `volumes/detail?availability_zone=${zone}, floor(${inZone}/1000)+1 pages`,
      });
    }
    return cheapest(options);
  };
  const glance = (list: Server[]): Fetch => {
    const n = distinctImages(list);
    return { service: 'glance', calls: glanceChunks(n, glanceUrl), sequential: 1, how: `images?id=in: chunks under 4 KB for ${n} distinct images` };
  };
  const legacyDisks = (n: number): Fetch => ({
    service: 'legacy',
    calls: Math.ceil(n / LEGACY_MAX_IDS),
    sequential: 1,
    how: `disks?instance_uuids= chunks of 50 for ${n} instances`,
  });
  const zonesCall: Fetch = { service: 'legacy', calls: 1, sequential: 1, how: 'GET /zones' };
  const hostsOfZones = (zones: string[]): Fetch => ({
    service: 'legacy',
    calls: zones.reduce((n, z) => n + legacyPages(f.hostsInZone.get(z) ?? 0), 0),
    sequential: Math.max(...zones.map((z) => legacySequential(f.hostsInZone.get(z) ?? 0))),
    how: `zones/{id}/hosts per zone (no multi-zone filter), pages of 100 (${zones.map((z) => f.hostsInZone.get(z) ?? 0).join('+')} hosts)`,
  });
  const projects: Fetch = { service: 'keystone', calls: 1, sequential: 1, how: 'GET /v3/projects (token validation is cached: 0)' };
  const ports = (list: Server[]): Fetch | null =>
    list.length ? { service: 'neutron', calls: 1, sequential: 1, how: 'GET ports (not paged): one call' } : null;
  const fips = (list: Server[]): Fetch | null =>
    list.some((s) => f.withFip.has(s.id))
      ? { service: 'neutron', calls: 1, sequential: 1, how: 'GET floatingips by the addresses Nova reports: one call' }
      : null;

  const floors: Record<string, Floor> = {};
  const zoneNames = cloud.zones.map((z) => z.name);
  for (const w of workloads) {
    const plan = new Plan();
    switch (w.name) {
      case 'fleet-tree': {
        // zones → hosts → instances → {image, disks}; the flavor is embedded in the server (microversion ≥ 2.47).
        plan
          .level(zonesCall)
          .level(hostsOfZones(zoneNames))
          .level(
            novaByHosts(
              cloud.hosts.map((h) => h.hostname),
              zoneNames,
            ),
          )
          .level(glance(f.servers), cinderFor(f.servers), legacyDisks(f.servers.length));
        break;
      }
      case 'zone-console': {
        // zone(id) → hosts → instances → {project, image, disks, ports, floatingIps}.
        const zone = f.zoneName(w.picks.zoneId!);
        const inZone = f.servers.filter((s) => s.zone === zone);
        const hosts = cloud.hosts.filter((h) => h.zoneId === w.picks.zoneId).map((h) => h.hostname);
        plan
          .level(zonesCall)
          .level(hostsOfZones([zone]))
          .level(novaByHosts(hosts, [zone]))
          .level(projects, glance(inZone), cinderFor(inZone, zone), legacyDisks(inZone.length), ports(inZone), fips(inZone));
        break;
      }
      case 'dashboard': {
        // Wide lists at level 1 (zones, storages, every server, every volume), the hosts of each zone at level 2.
        // cpuUtilAvg reads MongoDB, which is not an HTTP upstream (and answers an error until it is wired).
        const zoneSeq = Math.max(...zoneNames.map((z) => markerPages(f.servers.filter((s) => s.zone === z).length)));
        const nova = cheapest([
          {
            service: 'nova',
            calls: markerPages(f.servers.length),
            sequential: markerPages(f.servers.length),
            how: `all_tenants servers/detail, floor(${f.servers.length}/1000)+1 pages`,
          },
          {
            service: 'nova',
            calls: zoneNames.reduce((n, z) => n + markerPages(f.servers.filter((s) => s.zone === z).length), 0),
            sequential: zoneSeq,
            how: 'servers/detail per zone',
          },
        ]);
        const cinder = cheapest([
          {
            service: 'cinder',
            calls: markerPages(allVolumes),
            sequential: markerPages(allVolumes),
            how: `all_tenants volumes/detail, floor(${allVolumes}/1000)+1 pages`,
          },
          {
            service: 'cinder',
            calls: zoneNames.reduce((n, z) => n + markerPages(cloud.volumes.filter((v) => v.zone === z).length), 0),
            sequential: Math.max(...zoneNames.map((z) => markerPages(cloud.volumes.filter((v) => v.zone === z).length))),
            how: 'volumes/detail per zone',
          },
        ]);
        plan
          .level(zonesCall, { service: 'legacy', calls: 1, sequential: 1, how: 'GET /storages (legacy disk usage)' }, nova, cinder)
          .level(hostsOfZones(zoneNames));
        break;
      }
      case 'instance-detail': {
        // instance → {project, zone, host, image, disks, ports, floatingIps}; the host has no hostname filter in
        // the CMDB, so it is the zone's host list, one level after /zones (3 levels).
        const s = w.picks.instance!;
        plan
          .level({ service: 'nova', calls: 1, sequential: 1, how: 'GET servers/{id}' })
          .level(
            projects,
            zonesCall,
            s.imageId ? { service: 'glance', calls: 1, sequential: 1, how: 'one image' } : null,
            cinderFor([s]),
            legacyDisks(1),
            ports([s]),
            fips([s]),
          )
          .level(hostsOfZones([s.zone]));
        break;
      }
      case 'my-instances': {
        // A member's own servers (no all_tenants), the first 50 in Nova's order (created_at desc, id desc), then
        // their images, disks (the project's volume list or single GETs) and floating IPs.
        const own = f.servers.filter((s) => s.projectId === cloud.users.find((u) => u.name === 'alice')!.projectId);
        const ordered = [...own].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1));
        const page = ordered.slice(0, Number(w.variables.first ?? 50));
        const projectVolumes = cloud.volumes.filter((v) => v.projectId === own[0]?.projectId).length;
        plan
          .level({
            service: 'nova',
            calls: markerPages(own.length),
            sequential: markerPages(own.length),
            how: `the project's servers/detail, floor(${own.length}/1000)+1 pages`,
          })
          .level(glance(page), cinderFor(page, undefined, projectVolumes, "the project's"), legacyDisks(page.length), fips(page));
        break;
      }
      case 'sdk-nodes': {
        // One level: every id is looked up at once.
        const n = w.picks.nodes!;
        plan.level(
          cheapest([
            { service: 'nova', calls: n.instances.length, sequential: 1, how: `GET servers/{id} × ${n.instances.length}` },
            {
              service: 'nova',
              calls: markerPages(f.servers.length),
              sequential: markerPages(f.servers.length),
              how: `all_tenants list, floor(${f.servers.length}/1000)+1 pages`,
            },
          ]),
          { service: 'legacy', calls: Math.ceil(n.hostIds.length / LEGACY_MAX_IDS), sequential: 1, how: `hosts?ids= for ${n.hostIds.length} hosts` },
          { service: 'legacy', calls: n.legacyDiskIds.length, sequential: 1, how: `GET /disks/{id} × ${n.legacyDiskIds.length}` },
          n.zoneIds.length ? zonesCall : null,
          cheapest([
            { service: 'cinder', calls: n.volumeIds.length, sequential: 1, how: `GET volumes/{id} × ${n.volumeIds.length}` },
            {
              service: 'cinder',
              calls: markerPages(allVolumes),
              sequential: markerPages(allVolumes),
              how: `all_tenants volumes/detail, floor(${allVolumes}/1000)+1 pages`,
            },
          ]),
        );
        break;
      }
      default:
        // A query added to test/fixtures/queries without a floor here is still run; its floor is unknown.
        floors[w.name] = {
          calls: Object.fromEntries(SERVICES.map((s) => [s, 0])) as Record<Service, number>,
          total: Number.NaN,
          levels: Number.NaN,
          rounds: Number.NaN,
          notes: ['no floor defined'],
        };
        continue;
    }
    floors[w.name] = plan.floor();
  }
  return floors;
}
