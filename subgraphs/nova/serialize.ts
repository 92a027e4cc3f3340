// Server JSON exactly as Nova spells it (servers-details-resp.v2.47.json and the api-ref for other versions):
// https://docs.openstack.org/api-ref/compute/#list-servers-detailed
//
// What varies, and from which microversion (https://docs.openstack.org/nova/latest/reference/api-microversion-history.html):
//   2.3  more OS-EXT-SRV-ATTR:* (admin) and volumes_attached[].delete_on_termination
//   2.9  locked · 2.16 host_status (admin) · 2.19 description · 2.26 tags
//   2.47 flavor embedded {disk, ephemeral, extra_specs, original_name, ram, swap, vcpus} instead of {id, links}
//   2.63 trusted_image_certificates · 2.69 down cells: minimal records · 2.73 locked_reason
//   2.90 OS-EXT-SRV-ATTR:hostname for everyone · 2.96 pinned_availability_zone
// Admin-only by default policy: OS-EXT-SRV-ATTR:* and host_status.
//
// A server in a down cell (Cloud.downCellZones) is, from 2.69, the minimal record nova/api/openstack/compute/
// views/servers.py `_show_from_down_cell` builds: {id, status UNKNOWN, tenant_id, created, links} in a detail
// list, plus image, flavor, availability zone, power state (NOSTATE) and user_id in a show
// (https://docs.openstack.org/api-guide/compute/down_cells.html). Below 2.69 the emulator shows it in full.
//
// Serialisations are cached per server, keyed by (server.rev, the index's depEpoch, origin) and holding one
// string per (microversion bucket, admin?) — a list page is then a join of cached strings.
import type { Server } from '../seed/types.ts';
import { type NovaState, hostId, instanceNumber, isoMicrosNoZone, isoSeconds } from './common.ts';

/** Microversions at which a server's JSON changes; a bucket is "how many of these are ≤ mv". */
const THRESHOLDS = [3, 9, 16, 19, 26, 47, 63, 69, 73, 90, 96];
const BUCKET: number[] = [];
for (let mv = 0; mv <= 96; mv++) BUCKET[mv] = THRESHOLDS.filter((t) => t <= mv).length;

export const VM_STATE: Record<Server['status'], [vmState: string, powerState: number]> = {
  ACTIVE: ['active', 1],
  SHUTOFF: ['stopped', 4],
  ERROR: ['error', 0],
  BUILD: ['building', 0],
  PAUSED: ['paused', 3],
  DELETED: ['deleted', 0],
  VERIFY_RESIZE: ['resized', 1],
};
/** Nova only shows `progress` for these statuses (views/servers.py _progress_statuses). */
const PROGRESS_STATUSES = new Set(['ACTIVE', 'BUILD', 'REBUILD', 'RESIZE', 'VERIFY_RESIZE', 'MIGRATING']);
const HOST_STATUS = ['DOWN', 'UP', 'MAINTENANCE'] as const;

/** nova.utils.sanitize_hostname */
export const sanitizeHostname = (name: string): string =>
  name
    .toLowerCase()
    .replace(/[ _]/g, '-')
    .replace(/[^a-z0-9.-]/g, '')
    .replace(/^[.-]+|[.-]+$/g, '')
    .slice(0, 63) || 'server';

const reservationId = (id: string): string => {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let out = 'r-';
  for (let i = 0; i < 8; i++) out += alphabet[parseInt(id.replace(/-/g, '').slice(i * 2, i * 2 + 2), 16) % 32];
  return out;
};

export const taskState = (state: NovaState, server: Server): string | null =>
  state.deleting.has(server.id) ? 'deleting' : (state.tasks.get(server.id) ?? (server.status === 'BUILD' ? 'spawning' : null));

/** The API status: vm_state active with a reboot task shows as REBOOT / HARD_REBOOT (nova/api/openstack/common.py _STATE_MAP). */
const shownStatus = (state: NovaState, server: Server): string => {
  const task = state.tasks.get(server.id);
  if (task === 'resize_reverting') return 'REVERT_RESIZE';
  if (task?.startsWith('resize_')) return 'RESIZE'; // resize_prep, resize_migrating, resize_migrated, resize_finish
  return task === 'rebooting' ? 'REBOOT' : task === 'rebooting_hard' ? 'HARD_REBOOT' : server.status;
};

export function serverLinks(origin: string, id: string) {
  return [
    { href: `${origin}/v2.1/servers/${id}`, rel: 'self' },
    { href: `${origin}/servers/${id}`, rel: 'bookmark' },
  ];
}

function addresses(state: NovaState, server: Server): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const port of state.index.portsOf(server.id)) {
    const net = state.index.network(port.networkId)?.name ?? port.networkId;
    const list = (out[net] ??= []);
    for (const ip of port.fixedIps) {
      list.push({
        'OS-EXT-IPS-MAC:mac_addr': port.macAddress,
        'OS-EXT-IPS:type': 'fixed',
        addr: ip.ipAddress,
        version: ip.ipAddress.includes(':') ? 6 : 4,
      });
    }
    for (const fip of state.index.floatingIpsOf(port.id)) {
      list.push({
        'OS-EXT-IPS-MAC:mac_addr': port.macAddress,
        'OS-EXT-IPS:type': 'floating',
        addr: fip.address,
        version: fip.address.includes(':') ? 6 : 4,
      });
    }
  }
  return out;
}

function flavorView(state: NovaState, server: Server, mv: number, origin: string) {
  if (mv < 47) return { id: server.flavorId, links: [{ href: `${origin}/flavors/${server.flavorId}`, rel: 'bookmark' }] };
  const f = state.index.flavor(server.flavorId);
  return {
    disk: f?.disk ?? 0,
    ephemeral: f?.ephemeral ?? 0,
    extra_specs: {},
    original_name: f?.name ?? server.flavorId,
    ram: f?.ram ?? 0,
    swap: f?.swap ?? 0,
    vcpus: f?.vcpus ?? 0,
  };
}

function fault(state: NovaState, server: Server, admin: boolean) {
  const message = state.noValidHost.has(server.id)
    ? 'No valid host was found. '
    : `Exceeded maximum number of retries. Exhausted all hosts available for retrying build failures for instance ${server.id}.`;
  const body: Record<string, unknown> = { code: 500, created: isoSeconds(server.updatedAt), message };
  // Nova shows `details` (the traceback) only to admins when the code is 500.
  if (admin)
    body.details = `Traceback (most recent call last):\n  File "nova/conductor/manager.py", line 1654, in schedule_and_build_instances\nnova.exception.${state.noValidHost.has(server.id) ? 'NoValidHost' : 'MaxRetriesExceeded'}: ${message}\n`;
  return body;
}

const inDownCell = (state: NovaState, server: Server, mv: number) => mv >= 69 && state.cloud.downCellZones?.has(server.zone) === true;

/** The minimal record of a server in a down cell: a detail listing's, or with `show` a show's. */
function downCellServer(state: NovaState, server: Server, mv: number, origin: string, show: boolean): Record<string, unknown> {
  const o: Record<string, unknown> = {
    id: server.id,
    status: 'UNKNOWN',
    tenant_id: server.projectId,
    created: isoSeconds(server.createdAt),
    links: serverLinks(origin, server.id),
  };
  if (show) {
    o.image = server.imageId === '' ? '' : { id: server.imageId, links: [{ href: `${origin}/images/${server.imageId}`, rel: 'bookmark' }] };
    o.flavor = flavorView(state, server, mv, origin);
    o['OS-EXT-AZ:availability_zone'] = server.zone || 'UNKNOWN';
    o['OS-EXT-STS:power_state'] = 0;
    o.user_id = server.userId || 'UNKNOWN';
  }
  return o;
}

/** The `server` object of a detail listing or a show, for one caller variant. */
export function buildServer(state: NovaState, server: Server, admin: boolean, mv: number, origin: string): Record<string, unknown> {
  if (inDownCell(state, server, mv)) return downCellServer(state, server, mv, origin, false);
  const [vmState, powerState] = VM_STATE[server.status];
  const host = server.host || null;
  const hostRecord = server.host ? state.index.host(server.host) : undefined;
  const o: Record<string, unknown> = {
    'OS-DCF:diskConfig': 'MANUAL',
    'OS-EXT-AZ:availability_zone': server.zone,
  };
  if (admin) {
    o['OS-EXT-SRV-ATTR:host'] = host;
    if (mv >= 3) o['OS-EXT-SRV-ATTR:hostname'] = sanitizeHostname(server.name);
    o['OS-EXT-SRV-ATTR:hypervisor_hostname'] = host;
    o['OS-EXT-SRV-ATTR:instance_name'] = `instance-${instanceNumber(state, server).toString(16).padStart(8, '0')}`;
    if (mv >= 3) {
      o['OS-EXT-SRV-ATTR:kernel_id'] = '';
      o['OS-EXT-SRV-ATTR:launch_index'] = 0;
      o['OS-EXT-SRV-ATTR:ramdisk_id'] = '';
      o['OS-EXT-SRV-ATTR:reservation_id'] = reservationId(server.id);
      o['OS-EXT-SRV-ATTR:root_device_name'] = '/dev/vda';
      o['OS-EXT-SRV-ATTR:user_data'] = null;
    }
  } else if (mv >= 90) {
    o['OS-EXT-SRV-ATTR:hostname'] = sanitizeHostname(server.name);
  }
  o['OS-EXT-STS:power_state'] = powerState;
  o['OS-EXT-STS:task_state'] = taskState(state, server);
  o['OS-EXT-STS:vm_state'] = vmState;
  o['OS-SRV-USG:launched_at'] = server.launchedAt ? isoMicrosNoZone(server.launchedAt) : null;
  o['OS-SRV-USG:terminated_at'] = server.status === 'DELETED' ? isoMicrosNoZone(server.updatedAt) : null;
  o.accessIPv4 = '';
  o.accessIPv6 = '';
  o.addresses = addresses(state, server);
  o.config_drive = '';
  o.created = isoSeconds(server.createdAt);
  if (mv >= 19) o.description = server.description ?? null;
  if (server.status === 'ERROR') o.fault = fault(state, server, admin);
  o.flavor = flavorView(state, server, mv, origin);
  // nova.utils.generate_hostid: sha224(project_id + host), '' when the server has no host yet.
  o.hostId = server.host ? hostId(server.projectId, server.host) : '';
  if (admin && mv >= 16) o.host_status = !server.host ? '' : hostRecord ? HOST_STATUS[hostRecord.status] : 'UNKNOWN';
  o.id = server.id;
  o.image = server.imageId === '' ? '' : { id: server.imageId, links: [{ href: `${origin}/images/${server.imageId}`, rel: 'bookmark' }] };
  o.key_name = server.keyName;
  o.links = serverLinks(origin, server.id);
  if (mv >= 9) o.locked = server.locked ?? false;
  if (mv >= 73) o.locked_reason = null;
  o.metadata = server.metadata;
  o.name = server.name;
  o['os-extended-volumes:volumes_attached'] = state.index
    .volumesOf(server.id)
    .map(({ volume }) => (mv >= 3 ? { delete_on_termination: false, id: volume.id } : { id: volume.id }));
  if (mv >= 96) o.pinned_availability_zone = state.pinnedAz.get(server.id) ?? null;
  if (PROGRESS_STATUSES.has(server.status)) o.progress = 0;
  o.security_groups = [{ name: 'default' }];
  o.status = shownStatus(state, server);
  if (mv >= 26) o.tags = [...(server.tags ?? [])];
  o.tenant_id = server.projectId;
  if (mv >= 63) o.trusted_image_certificates = null;
  o.updated = isoSeconds(server.updatedAt);
  o.user_id = server.userId;
  return o;
}

interface CacheEntry {
  rev: number;
  epoch: number;
  origin: string;
  strs: (string | undefined)[];
  bufs: (Buffer | undefined)[];
}
const cache = new WeakMap<Server, CacheEntry>();

function entryFor(state: NovaState, server: Server, origin: string): CacheEntry {
  let entry = cache.get(server);
  if (!entry || entry.rev !== server.rev || entry.epoch !== state.index.depEpoch || entry.origin !== origin) {
    entry = { rev: server.rev, epoch: state.index.depEpoch, origin, strs: [], bufs: [] };
    cache.set(server, entry);
  }
  return entry;
}

/** The cached JSON text of one server for this caller variant. */
export function serverJson(state: NovaState, server: Server, admin: boolean, mv: number, origin: string): string {
  // A show of a down-cell server carries more than its listing (see downCellServer); not worth a cache slot.
  if (inDownCell(state, server, mv)) return JSON.stringify(downCellServer(state, server, mv, origin, true));
  const slot = BUCKET[mv] * 2 + (admin ? 1 : 0);
  return (entryFor(state, server, origin).strs[slot] ??= JSON.stringify(buildServer(state, server, admin, mv, origin)));
}

/**
 * The same, UTF-8 encoded once: a page is a Buffer.concat of these (a memcpy), which is several times
 * cheaper than joining ~200 KB of strings and encoding the result on every request.
 */
export function serverBuffer(state: NovaState, server: Server, admin: boolean, mv: number, origin: string): Buffer {
  const slot = BUCKET[mv] * 2 + (admin ? 1 : 0);
  const entry = entryFor(state, server, origin);
  return (entry.bufs[slot] ??= Buffer.from((entry.strs[slot] ??= JSON.stringify(buildServer(state, server, admin, mv, origin)))));
}

const summaries = new WeakMap<Server, { rev: number; origin: string; buf: Buffer }>();
/** The `{id, links, name}` entry of `GET /servers`. */
export function serverSummaryBuffer(server: Server, origin: string): Buffer {
  let hit = summaries.get(server);
  if (!hit || hit.rev !== server.rev || hit.origin !== origin) {
    hit = { rev: server.rev, origin, buf: Buffer.from(JSON.stringify({ id: server.id, links: serverLinks(origin, server.id), name: server.name })) };
    summaries.set(server, hit);
  }
  return hit.buf;
}
