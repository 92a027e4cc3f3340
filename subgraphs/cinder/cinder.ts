// Emulated Cinder (block storage API v3): volume list/detail/summary/show/create/delete over the shared Cloud; volume
// types (volume-types.ts) and quota sets with usage (quota-sets.ts).
// https://docs.openstack.org/api-ref/block-storage/v3/
//
// Every route is `/v3/{project_id}/…` behind Keystone tokens. Behaviour that clients must know:
// - The URL's project_id must equal the token's project, for admins too: Cinder's wsgi layer answers
//   400 "Malformed request url" otherwise (cinder/api/openstack/wsgi.py, _process_stack).
// - Microversions: `OpenStack-API-Version: volume 3.X` (default 3.0, max 3.70, `latest`); a bad string
//   is a 400, an unsupported version a 406 (fault key `computeFault`, as Cinder names unmapped codes).
//   Replies carry `OpenStack-API-Version` and `Vary`.
// - Errors: `{"<faultName>": {"code", "message"}}` with badRequest/itemNotFound/…, computeFault for 5xx.
// - Create is 202 with status `creating`, `available` after cloud.asyncDelayMs; delete is 202, the volume
//   goes `deleting` and disappears after the same delay (400 while attached or not available/error).
// - Attachments are written by Nova into cloud.volumes; this service only reads them.
import { randomUUID } from 'node:crypto';
import { createEmulator, type Emulator, type EmulatorReply, type EmulatorRequest } from '../emulator/emulator-server.ts';
import { withAuth, type Caller } from '../emulator/openstack-auth.ts';
import type { Cloud, Volume } from '../seed/types.ts';
import { urlencode } from '../emulator/sorted-view.ts';
import { volumeDetail, volumeJson, volumeMetadata, type CinderView } from './serialize.ts';
import { CinderFault, findVisibleVolume, listVolumes, summarizeVolumes } from './list.ts';
import { notifyVolume } from '../notify/cinder.ts';
import { listVolumeTypes, showVolumeType } from './volume-types.ts';
import { showQuotaSet } from './quota-sets.ts';

export const CINDER_MAX_MICROVERSION = 70;

const FAULT_NAMES: Record<number, string> = {
  400: 'badRequest',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'itemNotFound',
  405: 'badMethod',
  409: 'conflictingRequest',
  413: 'overLimit',
  415: 'badMediaType',
  501: 'notImplemented',
  503: 'serviceUnavailable',
};

const requestId = () => `req-${randomUUID()}`;

/** Cinder's Fault body: `{"itemNotFound": {"code": 404, "message": …}}`; unmapped codes are `computeFault`. */
export function cinderFault(code: number, message: string, minor?: number): EmulatorReply {
  const headers: Record<string, string> = { 'x-openstack-request-id': requestId() };
  if (minor !== undefined) Object.assign(headers, versionHeaders(minor));
  return { status: code, headers, body: { [FAULT_NAMES[code] ?? 'computeFault']: { code, message } } };
}

const versionHeaders = (minor: number) => ({ 'openstack-api-version': `volume 3.${minor}`, vary: 'OpenStack-API-Version' });

/** The requested 3.x minor version, per microversion_parse: `volume 3.59`, `volume latest`, or absent → 3.0; `max` is this Cinder's. */
function microversion(req: EmulatorRequest, max = CINDER_MAX_MICROVERSION): number {
  const header = req.headers['openstack-api-version'];
  const text = Array.isArray(header) ? header.join(',') : header;
  if (!text) return 0;
  let wanted: string | undefined;
  for (const part of text.split(',')) {
    const [service, version] = part.trim().split(/\s+/);
    if (service?.toLowerCase() === 'volume') wanted = version;
  }
  if (wanted === undefined) return 0;
  if (wanted === 'latest') return max;
  const m = /^([1-9]\d*)\.([1-9]\d*|0)$/.exec(wanted);
  if (!m) throw new CinderFault(400, `API Version String ${wanted} is of invalid format. Must be of format MajorNum.MinorNum.`);
  const minor = Number(m[2]);
  if (m[1] !== '3' || minor > max) {
    throw new CinderFault(406, `Version ${wanted} is not supported by the API. Minimum is 3.0 and maximum is 3.${max}.`);
  }
  return minor;
}

const VOLUME_TYPES = ['__DEFAULT__', 'ssd', 'hdd'];
const DELETABLE = new Set(['available', 'error', 'error_restoring', 'error_extending', 'error_managing']);

export interface CinderOptions {
  /** The highest microversion this Cinder offers, `3.X` (default 3.70); `2.0` offers only the v2 API (pre-v3 releases). */
  maxMicroversion?: string;
}

/**
 * Cinder's version list (GET / answers it with 300 Multiple Choices, GET /v3/ with 200):
 * https://docs.openstack.org/api-ref/block-storage/v3/#list-all-api-versions
 */
function cinderVersions(origin: string, max: number) {
  const self = (path: string) => [
    { href: 'https://docs.openstack.org/', rel: 'describedby', type: 'text/html' },
    { href: `${origin}/${path}/`, rel: 'self' },
  ];
  if (max < 0)
    return { versions: [{ id: 'v2.0', status: 'SUPPORTED', version: '', min_version: '', updated: '2014-06-28T12:20:21Z', links: self('v2') }] };
  const media = [{ base: 'application/json', type: 'application/vnd.openstack.volume+json;version=3' }];
  return {
    versions: [
      {
        id: 'v3.0',
        status: 'CURRENT',
        version: `3.${max}`,
        min_version: '3.0',
        updated: '2023-08-31T00:00:00Z',
        links: self('v3'),
        'media-types': media,
      },
    ],
  };
}

export function createCinder(cloud: Cloud, options: CinderOptions = {}): Emulator {
  const wanted = options.maxMicroversion;
  const parsed = wanted === undefined ? null : /^([23])\.(\d+)$/.exec(wanted);
  const max = wanted === undefined ? CINDER_MAX_MICROVERSION : parsed?.[1] === '2' ? -1 : Number(parsed?.[2] ?? NaN);
  if (!(max >= -1 && max <= CINDER_MAX_MICROVERSION))
    throw new Error(`cinder maxMicroversion ${wanted}: expected 2.0 or 3.0–3.${CINDER_MAX_MICROVERSION}`);
  /** Wraps a volume handler: auth, microversion, the URL project check, fault replies, version headers. */
  const route = (handler: (req: EmulatorRequest, caller: Caller, view: CinderView) => EmulatorReply) =>
    withAuth(cloud, (req, caller) => {
      let minor = 0;
      try {
        minor = microversion(req, max);
        if (req.params.project_id !== caller.projectId) throw new CinderFault(400, 'Malformed request url');
        const reply = handler(req, caller, { isAdmin: caller.isAdmin, minor, origin: req.origin, projectId: caller.projectId });
        reply.headers = { ...reply.headers, ...versionHeaders(minor), 'x-openstack-request-id': requestId() };
        return reply;
      } catch (err) {
        if (err instanceof CinderFault) return cinderFault(err.code, err.message, minor);
        throw err;
      }
    });

  const list = (detail: boolean) =>
    route((req, caller, view) => {
      const { page, limit, count } = listVolumes(cloud, caller, req.query, view.minor);
      let json = `{"volumes":[${page.map((v) => volumeJson(v, view, detail)).join(',')}]`;
      // _get_collection_links: a next link whenever the page is as long as the effective limit.
      const itemCount = count || page.length;
      if (page.length && limit <= itemCount) {
        const params: [string, string][] = [...req.query].filter(([k]) => k !== 'marker');
        params.push(['marker', page[page.length - 1].id]);
        const href = `${view.origin}/v3/${view.projectId}/volumes${detail ? '/detail' : ''}?${urlencode(params)}`;
        json += `,"volumes_links":${JSON.stringify([{ href, rel: 'next' }])}`;
      }
      if (count !== undefined) json += `,"count":${count}`;
      return { status: 200, headers: { 'content-type': 'application/json' }, body: json + '}' };
    });

  // Below 3.12 the summary action does not exist: Cinder answers VersionNotFoundForAPIMethod, a 404.
  const summary = route((req, caller, view) => {
    if (view.minor < 12) throw new CinderFault(404, 'The resource could not be found.');
    return { status: 200, headers: { 'content-type': 'application/json' }, body: summarizeVolumes(cloud, caller, req.query, view.minor) };
  });

  const show = route((req, caller, view) => {
    const volume = findVisibleVolume(cloud, caller, req.params.volume_id);
    if (!volume) throw new CinderFault(404, `Volume ${req.params.volume_id} could not be found.`);
    return { status: 200, headers: { 'content-type': 'application/json' }, body: `{"volume":${volumeJson(volume, view, true)}}` };
  });

  const create = route((req, caller, view) => {
    const body = req.body as { volume?: Record<string, unknown> } | undefined;
    const spec = body?.volume;
    if (!spec || typeof spec !== 'object' || Array.isArray(spec)) {
      throw new CinderFault(400, "Invalid input for field/attribute volume. Value: None. 'volume' is a required property");
    }
    let source: Volume | undefined;
    if (spec.snapshot_id != null) throw new CinderFault(404, `Snapshot ${String(spec.snapshot_id)} could not be found.`);
    if (spec.source_volid != null) {
      source = findVisibleVolume(cloud, caller, String(spec.source_volid));
      if (!source) throw new CinderFault(404, `Volume ${String(spec.source_volid)} could not be found.`);
    }
    let size: number | undefined;
    if (spec.size != null) {
      const ok = (typeof spec.size === 'number' && Number.isInteger(spec.size)) || (typeof spec.size === 'string' && /^[0-9]+$/.test(spec.size));
      size = ok ? Number(spec.size) : Number.NaN;
      if (!ok || size < 1)
        throw new CinderFault(
          400,
          `Invalid input for field/attribute size. Value: ${String(spec.size)}. ${String(spec.size)} is not a valid volume size (an integer of at least 1)`,
        );
    }
    size ??= source?.size;
    if (size === undefined) throw new CinderFault(400, "Invalid input received: Volume size 'None' must be an integer and greater than 0");
    const name = spec.name ?? spec.display_name ?? null;
    if (name !== null && (typeof name !== 'string' || name.length > 255))
      throw new CinderFault(400, `Invalid input for field/attribute name. Value: ${String(name)}.`);
    const description = spec.description ?? null;
    const typeName = spec.volume_type == null ? (source?.volumeType ?? '__DEFAULT__') : String(spec.volume_type);
    const knownTypes = new Set([...VOLUME_TYPES, ...cloud.volumes.map((v) => v.volumeType)]);
    if (!knownTypes.has(typeName)) throw new CinderFault(404, `Volume type with name ${typeName} could not be found.`);
    const zone = spec.availability_zone == null ? (source?.zone ?? cloud.zones[0]?.name ?? 'nova') : String(spec.availability_zone);
    if (!cloud.zones.some((z) => z.name === zone)) throw new CinderFault(400, `Availability zone '${zone}' is invalid.`);
    const now = new Date();
    const volume: Volume = {
      id: randomUUID(),
      name: name as string,
      description: description as string | null,
      projectId: caller.projectId,
      userId: caller.userId,
      size,
      status: 'creating',
      volumeType: typeName,
      bootable: spec.imageRef != null || spec.image_id != null || (source?.bootable ?? false),
      zone,
      createdAt: now,
      updatedAt: null,
      attachments: [],
      rev: 0,
    };
    if (spec.metadata && typeof spec.metadata === 'object') {
      volumeMetadata.set(volume, Object.fromEntries(Object.entries(spec.metadata as object).map(([k, v]) => [k, String(v)])));
    }
    cloud.volumes.push(volume);
    notifyVolume(cloud, volume, 'volume.create.start');
    later(cloud.asyncDelayMs, () => {
      if (volume.status !== 'creating') return;
      volume.status = 'available';
      volume.updatedAt = new Date();
      volume.rev++;
      notifyVolume(cloud, volume, 'volume.create.end');
    });
    return { status: 202, body: { volume: volumeDetail(volume, view, false) } };
  });

  const remove = route((req, caller) => {
    const volume = findVisibleVolume(cloud, caller, req.params.volume_id);
    if (!volume) throw new CinderFault(404, `Volume ${req.params.volume_id} could not be found.`);
    if (!DELETABLE.has(volume.status) || volume.attachments.length > 0) {
      throw new CinderFault(
        400,
        'Invalid volume: Volume status must be available or error or error_restoring or error_extending or error_managing and must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.',
      );
    }
    volume.status = 'deleting';
    volume.updatedAt = new Date();
    volume.rev++;
    notifyVolume(cloud, volume, 'volume.delete.start');
    later(cloud.asyncDelayMs, () => {
      const i = cloud.volumes.indexOf(volume);
      if (i !== -1) cloud.volumes.splice(i, 1);
      notifyVolume(cloud, volume, 'volume.delete.end');
    });
    return { status: 202 };
  });

  return createEmulator({
    name: 'cinder',
    routes: [
      // Version discovery is not behind auth (Cinder's paste pipeline serves it before keystonemiddleware).
      { method: 'GET', pattern: '/', handler: (req) => ({ status: 300, body: cinderVersions(req.origin, max) }) },
      { method: 'GET', pattern: '/v3', handler: (req) => ({ status: 200, body: cinderVersions(req.origin, max) }) },
      { method: 'GET', pattern: '/v3/:project_id/volumes/detail', handler: list(true) },
      { method: 'GET', pattern: '/v3/:project_id/volumes', handler: list(false) },
      { method: 'GET', pattern: '/v3/:project_id/volumes/summary', handler: summary },
      { method: 'GET', pattern: '/v3/:project_id/volumes/:volume_id', handler: show },
      { method: 'POST', pattern: '/v3/:project_id/volumes', handler: create },
      { method: 'DELETE', pattern: '/v3/:project_id/volumes/:volume_id', handler: remove },
      // Volume types (volume-types.ts) and quota sets with usage (quota-sets.ts), read only.
      { method: 'GET', pattern: '/v3/:project_id/types', handler: route((req, _caller, view) => listVolumeTypes(cloud, req, view)) },
      { method: 'GET', pattern: '/v3/:project_id/types/:type_id', handler: route((req, caller) => showVolumeType(cloud, req, caller)) },
      {
        method: 'GET',
        pattern: '/v3/:project_id/os-quota-sets/:target_project_id',
        handler: route((req, caller) => showQuotaSet(cloud, req, caller)),
      },
    ],
    errorReply: (status, message) =>
      cinderFault(status, status >= 500 ? 'The server has either erred or is incapable of performing the requested operation.' : message),
    notFoundReply: () => cinderFault(404, 'The resource could not be found.'),
  });
}

/** Runs an asynchronous state transition without keeping the process alive for it. */
function later(ms: number, fn: () => void) {
  setTimeout(fn, ms).unref();
}
