// The query semantics of Cinder's volume listings (`GET /v3/{project_id}/volumes[/detail]`), as
// cinder/api/v3/volumes.py, cinder/api/common.py and cinder/volume/api.py implement them:
// https://docs.openstack.org/api-ref/block-storage/v3/#list-accessible-volumes-with-details
//
// - Pagination: `limit` (default and cap osapi_max_limit = 1000), `marker` (a volume id the caller can see;
//   an unknown one is Cinder's VolumeNotFound, a 404), `offset` (skipped after the marker).
// - Order: `sort=key[:dir],…` or the legacy `sort_key`/`sort_dir` (not both); `created_at` then `id` are
//   appended, in the first key's direction (default `desc`), as cinder's process_sort_params does.
// - Scope: the caller's project; an admin with a true `all_tenants` sees every project.
// - Filters for non-admins: from 3.31 (RESOURCE_FILTER) anything outside resource_filters.json is a 400
//   "Invalid filters … are found in query options." — except `all_tenants`, silently ignored (bug 1917574);
//   before 3.31 unknown filters are silently dropped. Admins may filter on any volume column (`project_id`,
//   `user_id`, …); an unknown column matches nothing, as the DB layer answers an empty list.
import type { Caller } from '../emulator/openstack-auth.ts';
import type { Cloud, Volume } from '../seed/types.ts';
import { compareValues, sortedView } from '../emulator/sorted-view.ts';
import { stableUuid, volumeMetadata } from './serialize.ts';

export const OSAPI_MAX_LIMIT = 1000;

/** An error to answer in Cinder's fault shape. */
export class CinderFault extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** resource_filters.json ("volume") — what a non-admin may filter on from 3.31. */
const RESOURCE_FILTERS = new Set(['name', 'status', 'metadata', 'bootable', 'migration_status', 'availability_zone', 'group_id']);
/** CONF.query_volume_filters — what survives for a non-admin before 3.31. */
const LEGACY_FILTERS = new Set(['name', 'status', 'metadata', 'availability_zone', 'bootable', 'group_id']);

type SortValue = string | number | boolean | null;
/** Volume columns an admin may filter or sort on, by their API (or DB) name. */
const COLUMNS: Record<string, (v: Volume) => SortValue> = {
  id: (v) => v.id,
  name: (v) => v.name,
  display_name: (v) => v.name,
  status: (v) => v.status,
  size: (v) => v.size,
  availability_zone: (v) => v.zone,
  bootable: (v) => v.bootable,
  project_id: (v) => v.projectId,
  user_id: (v) => v.userId,
  created_at: (v) => v.createdAt.getTime(),
  updated_at: (v) => v.updatedAt?.getTime() ?? null,
  volume_type_id: (v) => stableUuid(`volume-type:${v.volumeType}`),
  migration_status: () => null,
  group_id: () => null,
  consistencygroup_id: () => null,
};

const TRUE = new Set(['1', 't', 'true', 'on', 'y', 'yes']);
const FALSE = new Set(['0', 'f', 'false', 'off', 'n', 'no']);
/** oslo strutils.bool_from_string; strict mode rejects anything else. */
function parseBool(value: string, name: string, strict = true): boolean {
  const v = value.trim().toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v) || !strict) return false;
  throw new CinderFault(400, `Invalid input received: Value '${value}' for '${name}' is not a boolean.`);
}

function parseInt10(value: string): number | undefined {
  return /^\s*[+-]?\d+\s*$/.test(value) ? Number.parseInt(value, 10) : undefined;
}

function parseLimit(query: URLSearchParams): number {
  const raw = query.get('limit');
  if (raw === null) return OSAPI_MAX_LIMIT;
  const limit = parseInt10(raw);
  if (limit === undefined) throw new CinderFault(400, 'limit param must be an integer');
  if (limit < 0) throw new CinderFault(400, 'limit param must be positive');
  return Math.min(limit, OSAPI_MAX_LIMIT);
}

function parseSort(query: URLSearchParams): { keys: string[]; dirs: string[] } {
  const keys: string[] = [];
  const dirs: string[] = [];
  if (query.has('sort')) {
    if (query.has('sort_key') || query.has('sort_dir')) {
      throw new CinderFault(400, "The 'sort_key' and 'sort_dir' parameters are deprecated and cannot be used with the 'sort' parameter.");
    }
    for (const part of query.get('sort')!.trim().split(',')) {
      const [key, dir] = part.split(':');
      keys.push(key.trim());
      dirs.push((dir ?? 'desc').trim() || 'desc');
    }
  } else {
    keys.push((query.get('sort_key') ?? 'created_at').trim());
    dirs.push((query.get('sort_dir') ?? 'desc').trim());
  }
  for (const d of dirs)
    if (d !== 'asc' && d !== 'desc') throw new CinderFault(400, "Invalid input received: Unknown sort direction, must be 'desc' or 'asc'");
  for (const k of keys) if (!(k in COLUMNS)) throw new CinderFault(400, 'Invalid input received: Invalid sort key');
  // process_sort_params: the default keys follow in the first given direction.
  for (const k of ['created_at', 'id']) {
    if (!keys.includes(k)) {
      keys.push(k);
      dirs.push(dirs[0]);
    }
  }
  return { keys, dirs };
}

function comparator(keys: string[], dirs: string[]) {
  const getters = keys.map((k) => COLUMNS[k]);
  const signs = dirs.map((d) => (d === 'asc' ? 1 : -1));
  return (a: Volume, b: Volume): number => {
    for (let i = 0; i < getters.length; i++) {
      const c = compareValues(getters[i](a), getters[i](b));
      if (c !== 0) return c * signs[i];
    }
    return 0;
  };
}

const DEFAULT_ORDER = comparator(['created_at', 'id'], ['desc', 'desc']);
const sortedCache = new WeakMap<Cloud, () => readonly Volume[]>();
function defaultSorted(cloud: Cloud): readonly Volume[] {
  let view = sortedCache.get(cloud);
  if (!view) {
    view = sortedView(() => cloud.volumes, DEFAULT_ORDER);
    sortedCache.set(cloud, view);
  }
  return view();
}

/** The volume `id` as the caller may see it (admins see every project's), or undefined. */
export function findVisibleVolume(cloud: Cloud, caller: Caller, id: string): Volume | undefined {
  return cloud.volumes.find((v) => v.id === id && (caller.isAdmin || v.projectId === caller.projectId));
}

type Predicate = (v: Volume) => boolean;

function filterPredicate(key: string, value: string, minor: number): Predicate {
  if (key === 'metadata') {
    let wanted: Record<string, unknown> | undefined;
    try {
      wanted = JSON.parse(value.replace(/'/g, '"')) as Record<string, unknown>;
    } catch {
      wanted = undefined;
    }
    return (v) => {
      if (!wanted || typeof wanted !== 'object') return false;
      const md = volumeMetadata.get(v) ?? {};
      return Object.entries(wanted).every(([k, val]) => md[k] === String(val));
    };
  }
  if (key === 'bootable') {
    let wanted: boolean;
    try {
      wanted = parseBool(value, 'bootable', minor >= 2);
    } catch {
      throw new CinderFault(400, `Invalid input received: '${value}' is not a valid boolean value`);
    }
    return (v) => v.bootable === wanted;
  }
  const get = COLUMNS[key];
  if (!get) return () => false;
  return (v) => {
    const got = get(v);
    return got !== null && String(got) === value;
  };
}

export interface VolumePage {
  page: Volume[];
  limit: number;
  count?: number;
}

export function listVolumes(cloud: Cloud, caller: Caller, query: URLSearchParams, minor: number): VolumePage {
  const limit = parseLimit(query);
  const marker = query.get('marker');
  let offset = 0;
  if (query.has('offset')) {
    const parsed = parseInt10(query.get('offset')!);
    if (parsed === undefined) throw new CinderFault(400, 'offset must be an integer');
    if (parsed < 0) throw new CinderFault(400, 'offset must be >= 0');
    offset = parsed;
  }
  const { keys, dirs } = parseSort(query);
  const withCount = minor >= 45 && query.has('with_count') ? parseBool(query.get('with_count')!, 'with_count') : false;

  const predicates = volumePredicates(caller, query, minor);

  const isDefaultOrder = keys.length === 2 && dirs[0] === 'desc' && dirs[1] === 'desc';
  const source = isDefaultOrder ? defaultSorted(cloud) : cloud.volumes;
  let matched: Volume[] = [];
  for (const v of source) if (predicates.every((p) => p(v))) matched.push(v);
  const order = isDefaultOrder ? DEFAULT_ORDER : comparator(keys, dirs);
  if (!isDefaultOrder) matched.sort(order);

  let start = 0;
  if (marker !== null) {
    const markerVolume = findVisibleVolume(cloud, caller, marker);
    if (!markerVolume) throw new CinderFault(404, `Volume ${marker} could not be found.`);
    // The marker is usually in the list (the previous page's last item): find it by identity first.
    const at = matched.indexOf(markerVolume);
    if (at !== -1) start = at + 1;
    else while (start < matched.length && order(matched[start], markerVolume) <= 0) start++;
  }
  const page = matched.slice(start + offset, start + offset + limit);
  const count = withCount ? matched.length : undefined;
  matched = [];
  return { page, limit, count };
}

/**
 * The scope and filters of a listing (or summary) as predicates: the caller's project unless an admin asks for
 * `all_tenants`, then each filter the caller may use. Paging and sort parameters are not filters.
 */
function volumePredicates(caller: Caller, query: URLSearchParams, minor: number): Predicate[] {
  const filters = new Map<string, string>();
  const reserved = new Set(['limit', 'marker', 'offset', 'sort', 'sort_key', 'sort_dir', 'with_count']);
  for (const [k, v] of query) if (!reserved.has(k) && !filters.has(k)) filters.set(k, v);
  if (minor < 10) filters.delete('group_id');
  const allTenants = filters.has('all_tenants') ? parseBool(filters.get('all_tenants')!, 'all_tenants') : false;
  filters.delete('all_tenants');
  if (!caller.isAdmin) {
    const allowed = minor >= 31 ? RESOURCE_FILTERS : LEGACY_FILTERS;
    const invalid = [...filters.keys()].filter((k) => !allowed.has(k));
    if (invalid.length && minor >= 31) throw new CinderFault(400, `Invalid filters ${invalid.join(',')} are found in query options.`);
    for (const k of invalid) filters.delete(k);
  }
  const predicates: Predicate[] = [];
  if (!(caller.isAdmin && allTenants)) predicates.push((v) => v.projectId === caller.projectId);
  for (const [k, v] of filters) predicates.push(filterPredicate(k, v, minor));

  return predicates;
}

/**
 * `GET /volumes/summary` (3.12+): how many volumes the listing would match and their total size, in one small
 * body; from 3.36 also every metadata key with the values it takes. cinder/api/v3/volumes.py summary() applies the
 * listing's filters (availability_zone among them) and scope, and no paging.
 * https://docs.openstack.org/api-ref/block-storage/v3/#volumes-summary
 */
export function summarizeVolumes(cloud: Cloud, caller: Caller, query: URLSearchParams, minor: number) {
  const predicates = volumePredicates(caller, query, minor);
  let totalSize = 0;
  let totalCount = 0;
  const metadata = new Map<string, Set<string>>();
  for (const v of cloud.volumes) {
    if (!predicates.every((p) => p(v))) continue;
    totalCount++;
    totalSize += v.size;
    if (minor >= 36) for (const [k, value] of Object.entries(volumeMetadata.get(v) ?? {})) metadata.set(k, (metadata.get(k) ?? new Set()).add(value));
  }
  return {
    'volume-summary': {
      total_size: totalSize,
      total_count: totalCount,
      ...(minor >= 36 ? { metadata: Object.fromEntries([...metadata].map(([k, values]) => [k, [...values]])) } : {}),
    },
  };
}
