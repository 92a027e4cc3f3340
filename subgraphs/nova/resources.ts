// Nova's inventory endpoints: hypervisors, availability zones, host aggregates and flavors.
//   https://docs.openstack.org/api-ref/compute/#hypervisors-os-hypervisors
//   https://docs.openstack.org/api-ref/compute/#host-aggregates-os-aggregates
//   https://docs.openstack.org/api-ref/compute/#availability-zones-os-availability-zone
//   https://docs.openstack.org/api-ref/compute/#flavors
// Hypervisors (admin only): integer ids before 2.53, UUIDs (host.hypervisorId) from 2.53; limit/marker from
// 2.33; hypervisor_hostname_pattern and with_servers from 2.53; from 2.88 the capacity and usage fields
// (vcpus*, memory_mb*, local_gb*, free_*, running_vms, current_workload, disk_available_least, cpu_info) are
// GONE and `uptime` appears — a client that needs capacity must ask for ≤ 2.87.
// Legacy host status maps to the nova-compute service: 0 → state "down", 2 → status "disabled" (maintenance).
import type { EmulatorReply } from '../emulator/emulator-server.ts';
import type { Flavor, Host, Server } from '../seed/types.ts';
import { type NovaContext, derivedUuid, instanceNumber, isoMicrosNoZone, nextLink, novaFault, parseLimit, policyForbidden } from './common.ts';
import { taskState } from './serialize.ts';

const hypervisorId = (h: Host, mv: number): string | number => (mv >= 53 ? h.hypervisorId : h.id);
const serviceId = (h: Host, mv: number): string | number => (mv >= 53 ? derivedUuid(`nova-compute:${h.hostname}`) : h.id + 100);
/** Service heartbeats: recent for live services, long stale for down ones. */
const heartbeat = (up: boolean) => isoMicrosNoZone(new Date(up ? Math.floor(Date.now() / 10_000) * 10_000 : Date.UTC(2025, 11, 1)));

function hypervisorView(ctx: NovaContext, h: Host, onHost: Server[], detail: boolean, withServers: boolean): Record<string, unknown> {
  const { mv, state } = ctx;
  const o: Record<string, unknown> = {};
  const base = {
    hypervisor_hostname: h.hostname,
    id: hypervisorId(h, mv),
    state: h.status === 0 ? 'down' : 'up',
    status: h.status === 2 ? 'disabled' : 'enabled',
  };
  if (!detail) Object.assign(o, base);
  else {
    let vcpus = 0,
      ram = 0,
      disk = 0,
      busy = 0;
    for (const s of onHost) {
      const f = state.index.flavor(s.flavorId);
      vcpus += f?.vcpus ?? 0;
      ram += f?.ram ?? 0;
      disk += (f?.disk ?? 0) + (f?.ephemeral ?? 0);
      if (taskState(state, s) !== null) busy++;
    }
    if (mv < 88) {
      const cpuInfo = {
        arch: 'x86_64',
        model: 'Cascadelake-Server',
        vendor: 'Intel',
        features: ['pge', 'clflush', 'avx512f'],
        topology: { cores: h.vcpus / 4, threads: 2, sockets: 2 },
      };
      Object.assign(o, {
        cpu_info: mv >= 28 ? cpuInfo : JSON.stringify(cpuInfo),
        current_workload: busy,
        status: base.status,
        state: base.state,
        disk_available_least: h.diskGb - disk,
        host_ip: h.ip,
        free_disk_gb: h.diskGb - disk,
        free_ram_mb: h.memoryMb - ram,
        hypervisor_hostname: h.hostname,
        hypervisor_type: 'QEMU',
        hypervisor_version: 8002000,
        id: base.id,
        local_gb: h.diskGb,
        local_gb_used: disk,
        memory_mb: h.memoryMb,
        memory_mb_used: ram,
        running_vms: onHost.length,
      });
    } else {
      Object.assign(o, {
        status: base.status,
        state: base.state,
        host_ip: h.ip,
        hypervisor_hostname: h.hostname,
        hypervisor_type: 'QEMU',
        hypervisor_version: 8002000,
        id: base.id,
      });
    }
    o.service = { host: h.hostname, id: serviceId(h, mv), disabled_reason: h.status === 2 ? 'maintenance' : null };
    if (mv < 88) {
      o.vcpus = h.vcpus;
      o.vcpus_used = vcpus;
    } else o.uptime = h.status === 0 ? null : ` 10:00:00 up 41 days,  3:12,  0 users,  load average: 0.52, 0.58, 0.59`;
  }
  if (withServers && onHost.length > 0) {
    o.servers = onHost.map((s) => ({ name: `instance-${instanceNumber(state, s).toString(16).padStart(8, '0')}`, uuid: s.id }));
  }
  return o;
}

function serversByHost(ctx: NovaContext): Map<string, Server[]> {
  const map = new Map<string, Server[]>();
  for (const s of ctx.state.cloud.servers) {
    if (s.status === 'DELETED' || !s.host) continue;
    let list = map.get(s.host);
    if (!list) map.set(s.host, (list = []));
    list.push(s);
  }
  return map;
}

export function listHypervisors(ctx: NovaContext, detail: boolean): EmulatorReply {
  const { req, caller, mv } = ctx;
  if (!caller.isAdmin) return policyForbidden(`os_compute_api:os-hypervisors:${detail ? 'list-detail' : 'list'}`);
  const q = req.query;
  let hosts = ctx.state.cloud.hosts.slice().sort((a, b) => a.id - b.id);
  const pattern = mv >= 53 ? q.get('hypervisor_hostname_pattern') : null;
  const paging = mv >= 33 && (q.has('limit') || q.has('marker'));
  if (pattern !== null) {
    if (paging) return novaFault(400, 'Paging over hypervisors with the hypervisor_hostname_pattern query parameter is not supported.');
    hosts = hosts.filter((h) => h.hostname.includes(pattern));
    if (hosts.length === 0) return novaFault(404, `No hypervisor matching '${pattern}' could be found.`);
  }
  let limit = hosts.length;
  if (mv >= 33) {
    const parsed = parseLimit(q);
    if (typeof parsed !== 'number') return parsed;
    limit = q.has('limit') ? parsed : Math.min(hosts.length, parsed);
    const marker = q.get('marker');
    if (marker !== null) {
      const at = hosts.findIndex((h) => String(hypervisorId(h, mv)) === marker);
      if (at === -1) return novaFault(400, `marker [${marker}] not found`);
      hosts = hosts.slice(at + 1);
    }
  }
  const withServers = mv >= 53 && ['1', 'true', 'yes', 'on', 't', 'y'].includes((q.get('with_servers') ?? '').toLowerCase());
  const onHost = serversByHost(ctx);
  const pageHosts = hosts.slice(0, limit);
  const body: Record<string, unknown> = {
    hypervisors: pageHosts.map((h) => hypervisorView(ctx, h, onHost.get(h.hostname) ?? [], detail, withServers)),
  };
  if (paging && pageHosts.length > 0 && pageHosts.length === limit) {
    body.hypervisors_links = [
      {
        href: nextLink(req.origin, detail ? 'os-hypervisors/detail' : 'os-hypervisors', q, String(hypervisorId(pageHosts[pageHosts.length - 1], mv))),
        rel: 'next',
      },
    ];
  }
  return { status: 200, body };
}

export function showHypervisor(ctx: NovaContext): EmulatorReply {
  const { req, caller, mv } = ctx;
  if (!caller.isAdmin) return policyForbidden('os_compute_api:os-hypervisors:show');
  const host = ctx.state.cloud.hosts.find((h) => String(hypervisorId(h, mv)) === req.params.id);
  if (!host) return novaFault(404, `Hypervisor with ID ${req.params.id} could not be found.`);
  const withServers = mv >= 53 && ['1', 'true', 'yes', 'on', 't', 'y'].includes((req.query.get('with_servers') ?? '').toLowerCase());
  return { status: 200, body: { hypervisor: hypervisorView(ctx, host, serversByHost(ctx).get(host.hostname) ?? [], true, withServers) } };
}

/**
 * GET /os-hypervisors/statistics (admin): the detail figures summed over every hypervisor, plus `count`. Removed in
 * 2.88 (https://docs.openstack.org/api-ref/compute/#show-hypervisor-statistics-deprecated): 404 from there on.
 */
export function hypervisorStatistics(ctx: NovaContext): EmulatorReply {
  if (ctx.mv >= 88) return novaFault(404, 'The resource could not be found.');
  if (!ctx.caller.isAdmin) return policyForbidden('os_compute_api:os-hypervisors:statistics');
  const onHost = serversByHost(ctx);
  const fields = [
    'current_workload',
    'disk_available_least',
    'free_disk_gb',
    'free_ram_mb',
    'local_gb',
    'local_gb_used',
    'memory_mb',
    'memory_mb_used',
    'running_vms',
    'vcpus',
    'vcpus_used',
  ];
  const stats: Record<string, number> = { count: ctx.state.cloud.hosts.length };
  for (const f of fields) stats[f] = 0;
  for (const h of ctx.state.cloud.hosts) {
    const view = hypervisorView(ctx, h, onHost.get(h.hostname) ?? [], true, false);
    for (const f of fields) stats[f] += Number(view[f] ?? 0);
  }
  return { status: 200, body: { hypervisor_statistics: stats } };
}

/** GET /os-availability-zone (everyone, no hosts) and /os-availability-zone/detail (admin, with services). */
export function listZones(ctx: NovaContext, detail: boolean): EmulatorReply {
  if (detail && !ctx.caller.isAdmin) return policyForbidden('os_compute_api:os-availability-zone:detail');
  const { cloud } = ctx.state;
  // A zone is available when it has at least one enabled nova-compute (maintenance = disabled service).
  const enabled = (z: number) => cloud.hosts.filter((h) => h.zoneId === z && h.status !== 2);
  const available = cloud.zones.filter((z) => enabled(z.id).length > 0).map((z) => z.name);
  const unavailable = cloud.zones
    .filter((z) => enabled(z.id).length === 0)
    .map((z) => z.name)
    .sort();
  const info: unknown[] = [];
  if (!detail) {
    for (const name of available.sort()) info.push({ zoneName: name, zoneState: { available: true }, hosts: null });
  } else {
    const service = (up: boolean) => ({ available: up, active: true, updated_at: heartbeat(up) });
    const zones = [...available, 'internal'].sort();
    for (const name of zones) {
      const hosts: Record<string, unknown> = {};
      if (name === 'internal') hosts.controller = { 'nova-conductor': service(true), 'nova-scheduler': service(true) };
      else {
        const zone = cloud.zones.find((z) => z.name === name)!;
        for (const h of enabled(zone.id)) hosts[h.hostname] = { 'nova-compute': service(h.status === 1) };
      }
      info.push({ hosts, zoneName: name, zoneState: { available: true } });
    }
  }
  for (const name of unavailable) info.push({ zoneName: name, zoneState: { available: false }, hosts: null });
  return { status: 200, body: { availabilityZoneInfo: info } };
}

/**
 * GET /os-aggregates (admin: os_compute_api:os-aggregates:index): every aggregate in one unpaged list, each with
 * its hosts, `availability_zone` (null when it defines none) and metadata; `uuid` from 2.41. A host removed from
 * the cloud leaves its aggregates, as Nova removes a deleted compute service's host from them.
 */
export function listAggregates(ctx: NovaContext): EmulatorReply {
  if (!ctx.caller.isAdmin) return policyForbidden('os_compute_api:os-aggregates:index');
  const live = new Set(ctx.state.cloud.hosts.map((h) => h.hostname));
  const aggregates = (ctx.state.cloud.aggregates ?? []).map((a) => {
    const o: Record<string, unknown> = {
      availability_zone: a.availabilityZone,
      created_at: isoMicrosNoZone(a.createdAt),
      deleted: false,
      deleted_at: null,
      hosts: a.hosts.filter((h) => live.has(h)),
      id: a.id,
      metadata: { ...a.metadata },
      name: a.name,
      updated_at: null,
    };
    if (ctx.mv >= 41) o.uuid = a.uuid;
    return o;
  });
  return { status: 200, body: { aggregates } };
}

function flavorView(f: Flavor, mv: number, origin: string, detail: boolean): Record<string, unknown> {
  const links = [
    { href: `${origin}/v2.1/flavors/${f.id}`, rel: 'self' },
    { href: `${origin}/flavors/${f.id}`, rel: 'bookmark' },
  ];
  if (!detail) return mv >= 55 ? { id: f.id, links, name: f.name, description: null } : { id: f.id, links, name: f.name };
  const o: Record<string, unknown> = {
    'OS-FLV-DISABLED:disabled': false,
    disk: f.disk,
    'OS-FLV-EXT-DATA:ephemeral': f.ephemeral,
    'os-flavor-access:is_public': f.isPublic,
    id: f.id,
    links,
    name: f.name,
    ram: f.ram,
    // Before 2.75 a zero swap is the empty string.
    swap: f.swap === 0 && mv < 75 ? '' : f.swap,
    vcpus: f.vcpus,
    rxtx_factor: 1,
  };
  if (mv >= 55) o.description = null;
  if (mv >= 61) o.extra_specs = {};
  return o;
}
/** Python serialises rxtx_factor as the float 1.0; keep the spelling. */
const pyFloat = (json: string) => json.replace(/"rxtx_factor":1([,}])/g, '"rxtx_factor":1.0$1');

export function listFlavors(ctx: NovaContext, detail: boolean): EmulatorReply {
  const { req, mv } = ctx;
  const q = req.query;
  let flavors = ctx.state.cloud.flavors.filter((f) => f.isPublic || ctx.caller.isAdmin).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const minDisk = q.get('minDisk');
  const minRam = q.get('minRam');
  for (const [raw, field, label] of [
    [minDisk, 'disk', 'minDisk'],
    [minRam, 'ram', 'minRam'],
  ] as const) {
    if (raw === null) continue;
    if (!/^[0-9]+$/.test(raw))
      return novaFault(400, `Invalid input for query parameters ${label}. Value: ${raw}. '${raw}' does not match '^[0-9]*$'`);
    flavors = flavors.filter((f) => f[field] >= Number(raw));
  }
  const limit = parseLimit(q);
  if (typeof limit !== 'number') return limit;
  const marker = q.get('marker');
  if (marker !== null) {
    const at = flavors.findIndex((f) => f.id === marker);
    if (at === -1) return novaFault(400, `marker [${marker}] not found`);
    flavors = flavors.slice(at + 1);
  }
  const page = flavors.slice(0, limit);
  const body: Record<string, unknown> = { flavors: page.map((f) => flavorView(f, mv, req.origin, detail)) };
  if (limit > 0 && page.length === limit) {
    body.flavors_links = [{ href: nextLink(req.origin, detail ? 'flavors/detail' : 'flavors', q, page[page.length - 1].id), rel: 'next' }];
  }
  return { status: 200, body: pyFloat(JSON.stringify(body)) };
}

export function showFlavor(ctx: NovaContext): EmulatorReply {
  const f = ctx.state.cloud.flavors.find((x) => x.id === ctx.req.params.id);
  if (!f) return novaFault(404, `Flavor ${ctx.req.params.id} could not be found.`);
  return { status: 200, body: pyFloat(JSON.stringify({ flavor: flavorView(f, ctx.mv, ctx.req.origin, true) })) };
}
