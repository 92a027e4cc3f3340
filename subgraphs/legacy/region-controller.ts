// Emulator of the legacy region controller: the home-grown CMDB REST service that owns zones, hosts, storage
// pools and legacy disks. Its contract is ours (DESIGN.md, "The legacy region controller"): `X-Api-Key` auth,
// HTTP 200 `{ret, msg, data}` on every application reply, integer ids, offset paging, UTC+8 timestamps, and an
// nginx in front that answers unknown paths and failures with HTML pages. Shapes live in serialize.ts.
// Writes: DELETE a host, PUT a host's maintenance, POST a disk; each with an X-Request-Id is carried out once and
// can be asked about afterwards (GET /requests/{id}, request-log.ts).
import { createEmulator, type Emulator, type EmulatorReply, type EmulatorRequest, type Route } from '../emulator/emulator-server.ts';
import {
  RET,
  diskJson,
  fail,
  hostJson,
  nginxPage,
  ok,
  storageJson,
  zoneJson,
  type DiskJson,
  type HostJson,
  type ListJson,
  type RetCode,
} from './serialize.ts';
import { createRequestLog, type Outcome } from './request-log.ts';
import type { Cloud, Host, LegacyDisk } from '../seed/types.ts';
import { groupBy } from '../emulator/group-by.ts';
import { notifyHostDeleted, notifyHostStatus } from '../notify/legacy.ts';

/** Thrown by handlers; the route wrapper turns it into `{ret, msg, data: null}`. */
class LegacyError extends Error {
  constructor(
    readonly ret: Exclude<(typeof RET)[keyof typeof RET], 0>,
    message: string,
  ) {
    super(message);
  }
}
const badParam = (msg: string) => new LegacyError(RET.BAD_PARAMETER, msg);
const notFound = (msg: string) => new LegacyError(RET.NOT_FOUND, msg);

export const MAX_PAGE_LIMIT = 100;
export const DEFAULT_PAGE_LIMIT = 20;
/** Most ids / instance uuids one `GET /hosts?ids=` or `GET /disks?instance_uuids=` accepts. */
export const MAX_BATCH = 50;
export const MAX_DISK_SIZE_GB = 65_536;

const INT = /^[0-9]+$/;

function parseInt32(name: string, raw: string): number {
  const value = Number(raw);
  if (!INT.test(raw) || !Number.isSafeInteger(value)) throw badParam(`invalid ${name} "${raw}": must be a non-negative integer`);
  return value;
}

/** `offset` (default 0, ≥ 0) and `limit` (default 20, 1..100); empty means absent. */
function paging(query: URLSearchParams): { offset: number; limit: number } {
  const rawOffset = query.get('offset');
  const rawLimit = query.get('limit');
  const offset = rawOffset ? parseInt32('offset', rawOffset) : 0;
  const limit = rawLimit ? parseInt32('limit', rawLimit) : DEFAULT_PAGE_LIMIT;
  if (limit < 1 || limit > MAX_PAGE_LIMIT) throw badParam(`invalid limit ${limit}: must be between 1 and ${MAX_PAGE_LIMIT}`);
  return { offset, limit };
}

/** A comma-separated list of 1..50 non-empty entries. */
function csv(query: URLSearchParams, name: string): string[] {
  const raw = query.get(name);
  if (!raw) throw badParam(`${name} is required`);
  const entries = raw.split(',').map((s) => s.trim());
  if (entries.some((e) => e === '')) throw badParam(`${name} has an empty entry`);
  if (entries.length > MAX_BATCH) throw badParam(`${name} has ${entries.length} entries, at most ${MAX_BATCH} allowed`);
  return entries;
}

const page = <T, R>(all: T[], query: URLSearchParams, map: (x: T) => R): ListJson<R> => {
  const { offset, limit } = paging(query);
  return { items: all.slice(offset, offset + limit).map(map), total: all.length };
};

/**
 * Lookups the gateway hits hard (hosts of a zone, disks of instances), kept as Maps. Each is rebuilt when its
 * source array is replaced or changes length (our own writes, or a test editing the cloud); in-place edits of
 * a record are seen because the Maps hold the records themselves, and reads re-check the joined field.
 */
function createIndexes(cloud: Cloud) {
  let hostsSeen: Host[] | undefined;
  let hostsLen = -1;
  let hostById = new Map<number, Host>();
  let hostsByZone = new Map<number, Host[]>();
  let disksSeen: LegacyDisk[] | undefined;
  let disksLen = -1;
  let diskById = new Map<number, LegacyDisk>();
  let disksByStorage = new Map<number, LegacyDisk[]>();
  let disksByInstance = new Map<string, LegacyDisk[]>();

  const byId = <T extends { id: number }>(a: T, b: T) => a.id - b.id;

  const hosts = () => {
    if (cloud.hosts !== hostsSeen || cloud.hosts.length !== hostsLen) {
      const sorted = [...cloud.hosts].sort(byId);
      hostById = new Map(sorted.map((h) => [h.id, h]));
      hostsByZone = groupBy(sorted, (h) => h.zoneId);
      hostsSeen = cloud.hosts;
      hostsLen = cloud.hosts.length;
    }
    return { hostById, hostsByZone };
  };
  const disks = () => {
    if (cloud.legacyDisks !== disksSeen || cloud.legacyDisks.length !== disksLen) {
      const sorted = [...cloud.legacyDisks].sort(byId);
      diskById = new Map(sorted.map((d) => [d.id, d]));
      disksByStorage = groupBy(sorted, (d) => d.storageId);
      disksByInstance = groupBy(
        sorted.filter((d) => d.instanceUuid !== null),
        (d) => d.instanceUuid!,
      );
      disksSeen = cloud.legacyDisks;
      disksLen = cloud.legacyDisks.length;
    }
    return { diskById, disksByStorage, disksByInstance };
  };
  return { hosts, disks };
}

/** The next free virtio device of an instance, after its Cinder attachments and legacy disks (vda is root). */
function nextDevice(cloud: Cloud, instanceUuid: string, legacy: LegacyDisk[]): string | null {
  const used = new Set<string>(['/dev/vda']);
  for (const v of cloud.volumes) for (const a of v.attachments) if (a.serverId === instanceUuid) used.add(a.device);
  for (const d of legacy) if (d.device) used.add(d.device);
  for (const letter of 'bcdefghijklmnopqrstuvwxyz') if (!used.has(`/dev/vd${letter}`)) return `/dev/vd${letter}`;
  return null;
}

export function createRegionController(cloud: Cloud): Emulator {
  const idx = createIndexes(cloud);
  const requests = createRequestLog();

  const zoneOf = (raw: string) => {
    const id = parseInt32('zone_id', raw);
    const zone = cloud.zones.find((z) => z.id === id);
    if (!zone) throw notFound(`zone ${id} not found`);
    return zone;
  };
  const hostOf = (zoneId: number, raw: string) => {
    const id = parseInt32('host_id', raw);
    const host = idx.hosts().hostById.get(id);
    if (!host || host.zoneId !== zoneId) throw notFound(`host ${id} not found in zone ${zoneId}`);
    return host;
  };
  const storageOf = (raw: string) => {
    const id = parseInt32('storage_id', raw);
    const storage = cloud.storages.find((s) => s.id === id);
    if (!storage) throw notFound(`storage ${id} not found`);
    return storage;
  };
  const storageData = (s: Cloud['storages'][number]) => {
    const onIt = idx.disks().disksByStorage.get(s.id) ?? [];
    return storageJson(
      s,
      onIt.reduce((sum, d) => sum + d.sizeGb, 0),
      onIt.length,
    );
  };
  const liveServer = (id: string) => cloud.servers.find((s) => s.id === id && s.status !== 'DELETED');

  const outcomeOf = (handler: (req: EmulatorRequest) => unknown, req: EmulatorRequest): Outcome => {
    try {
      return { ret: RET.OK, msg: 'ok', data: handler(req) ?? null };
    } catch (err) {
      if (err instanceof LegacyError) return { ret: err.ret, msg: err.message, data: null };
      console.error('[region-controller] handler error', err);
      return { ret: RET.INTERNAL, msg: 'internal error', data: null };
    }
  };
  const replyOf = (o: Outcome): EmulatorReply => (o.ret === RET.OK ? ok(o.data) : fail(o.ret as Exclude<RetCode, 0>, o.msg));

  /**
   * Wraps a handler with the API-key check and the envelope; a throw becomes a `ret` error, never a 5xx. A write
   * with an X-Request-Id is carried out once per id (request-log.ts): the same id again gets the first answer.
   */
  const route = (method: string, pattern: string, handler: (req: EmulatorRequest) => unknown): Route => ({
    method,
    pattern,
    handler: (req): EmulatorReply => {
      if (req.headers['x-api-key'] !== cloud.legacyApiKey) return fail(RET.BAD_KEY, 'invalid api key');
      const raw = req.headers['x-request-id'];
      const requestId = method !== 'GET' && typeof raw === 'string' && raw !== '' ? raw : null;
      if (requestId === null) return replyOf(outcomeOf(handler, req));
      if (!requests.valid(requestId)) return fail(RET.BAD_PARAMETER, 'invalid X-Request-Id: 1 to 128 printable characters');
      const prior = requests.replay(requestId, method, req.path);
      if (prior === 'conflict') {
        const first = requests.describe(requestId)!;
        return fail(RET.CONFLICT, `request id ${requestId} was already used for ${first.method} ${first.path}`);
      }
      if (prior) return replyOf(prior);
      const outcome = outcomeOf(handler, req);
      requests.record(requestId, method, req.path, outcome);
      return replyOf(outcome);
    },
  });

  const routes: Route[] = [
    route('GET', '/zones', () => {
      const byZone = idx.hosts().hostsByZone;
      const items = [...cloud.zones].sort((a, b) => a.id - b.id).map((z) => zoneJson(z, byZone.get(z.id)?.length ?? 0));
      return { items, total: items.length };
    }),
    route('GET', '/zones/:zone_id', (req) => {
      const zone = zoneOf(req.params.zone_id);
      return zoneJson(zone, idx.hosts().hostsByZone.get(zone.id)?.length ?? 0);
    }),
    route('GET', '/zones/:zone_id/hosts', (req): ListJson<HostJson> => {
      const zone = zoneOf(req.params.zone_id);
      return page(idx.hosts().hostsByZone.get(zone.id) ?? [], req.query, hostJson);
    }),
    route('GET', '/zones/:zone_id/hosts/:host_id', (req) => hostJson(hostOf(zoneOf(req.params.zone_id).id, req.params.host_id))),
    route('DELETE', '/zones/:zone_id/hosts/:host_id', (req) => {
      const host = hostOf(zoneOf(req.params.zone_id).id, req.params.host_id);
      const instances = cloud.servers.filter((s) => s.host === host.hostname && s.status !== 'DELETED').length;
      if (instances > 0) throw new LegacyError(RET.CONFLICT, `host has ${instances} instances`);
      const at = cloud.hosts.indexOf(host);
      if (at !== -1) cloud.hosts.splice(at, 1);
      notifyHostDeleted(cloud, host);
      return null;
    }),
    // Maintenance on (status 2) or off (back to 1): an offline host (0) cannot be put in or out of it (409001).
    route('PUT', '/zones/:zone_id/hosts/:host_id/maintenance', (req) => {
      const host = hostOf(zoneOf(req.params.zone_id).id, req.params.host_id);
      const body = req.body;
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badParam('request body must be a JSON object');
      const enabled = (body as Record<string, unknown>).enabled;
      if (enabled !== true && enabled !== false && enabled !== 0 && enabled !== 1) throw badParam('enabled must be true or false');
      if (host.status === 0) throw new LegacyError(RET.CONFLICT, `host ${host.id} is offline: only an online host can enter or leave maintenance`);
      const next = enabled === true || enabled === 1 ? 2 : 1;
      if (host.status !== next) {
        const old = host.status;
        host.status = next;
        notifyHostStatus(cloud, host, old);
      }
      return hostJson(host);
    }),
    route('GET', '/hosts', (req): ListJson<HostJson> => {
      const ids = [...new Set(csv(req.query, 'ids').map((raw) => parseInt32('id', raw)))].sort((a, b) => a - b);
      const { hostById } = idx.hosts();
      const items = ids.flatMap((id) => {
        const host = hostById.get(id);
        return host ? [hostJson(host)] : [];
      });
      return { items, total: items.length };
    }),
    route('GET', '/storages', () => {
      const items = [...cloud.storages].sort((a, b) => a.id - b.id).map(storageData);
      return { items, total: items.length };
    }),
    route('GET', '/storages/:storage_id', (req) => storageData(storageOf(req.params.storage_id))),
    route('GET', '/storages/:storage_id/disks', (req): ListJson<DiskJson> => {
      const storage = storageOf(req.params.storage_id);
      return page(idx.disks().disksByStorage.get(storage.id) ?? [], req.query, diskJson);
    }),
    route('POST', '/storages/:storage_id/disks', (req) => {
      const storage = storageOf(req.params.storage_id);
      const body = req.body;
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badParam('request body must be a JSON object');
      const { name, size_gb: sizeGb, disk_type: diskType, instance_uuid: instanceUuid } = body as Record<string, unknown>;
      if (typeof name !== 'string' || name.trim() === '' || name.length > 255)
        throw badParam('name must be a non-empty string of at most 255 characters');
      if (typeof sizeGb !== 'number' || !Number.isInteger(sizeGb) || sizeGb < 1 || sizeGb > MAX_DISK_SIZE_GB) {
        throw badParam(`size_gb must be an integer between 1 and ${MAX_DISK_SIZE_GB}`);
      }
      if (diskType !== 'ssd' && diskType !== 'sata') throw badParam('disk_type must be "ssd" or "sata"');
      if (instanceUuid !== undefined && instanceUuid !== null && typeof instanceUuid !== 'string') throw badParam('instance_uuid must be a string');
      if (typeof instanceUuid === 'string' && !liveServer(instanceUuid)) throw badParam(`instance ${instanceUuid} does not exist`);
      const attachTo = typeof instanceUuid === 'string' ? instanceUuid : null;
      const device = attachTo ? nextDevice(cloud, attachTo, idx.disks().disksByInstance.get(attachTo) ?? []) : null;
      if (attachTo && !device) throw new LegacyError(RET.CONFLICT, `instance ${attachTo} has no free device`);
      const disk: LegacyDisk = {
        id: cloud.nextLegacyDiskId++,
        storageId: storage.id,
        instanceUuid: attachTo,
        name,
        sizeGb,
        type: diskType,
        device,
        status: attachTo ? 1 : 0,
        createdAt: new Date(Math.floor(Date.now() / 1000) * 1000),
      };
      cloud.legacyDisks.push(disk);
      return diskJson(disk);
    }),
    route('GET', '/disks', (req): ListJson<DiskJson> => {
      const uuids = new Set(csv(req.query, 'instance_uuids'));
      const { disksByInstance } = idx.disks();
      const found: LegacyDisk[] = [];
      for (const uuid of uuids) {
        for (const d of disksByInstance.get(uuid) ?? []) if (d.status === 1 && d.instanceUuid === uuid) found.push(d);
      }
      const items = found.sort((a, b) => a.id - b.id).map(diskJson);
      return { items, total: items.length };
    }),
    // Whether a write was carried out, and what it answered (request-log.ts); 404001 for an id never seen.
    route('GET', '/requests/:request_id', (req) => {
      const found = requests.json(req.params.request_id);
      if (!found) throw notFound(`request ${req.params.request_id} not found`);
      return found;
    }),
    route('GET', '/disks/:disk_id', (req) => {
      const id = parseInt32('disk_id', req.params.disk_id);
      const disk = idx.disks().diskById.get(id);
      if (!disk) throw notFound(`disk ${id} not found`);
      return diskJson(disk);
    }),
  ];

  return createEmulator({
    name: 'region-controller',
    routes,
    // Injected failures model the nginx in front losing its upstream; an unparseable body is the app's 400001.
    errorReply: (status) => (status >= 500 ? nginxPage(502) : fail(RET.BAD_PARAMETER, 'malformed JSON body')),
    notFoundReply: () => nginxPage(404),
  });
}
