// Pieces every Nova emulator module shares: the per-process Nova state, Nova's fault body, its timestamp
// spellings and the request context a handler receives (caller + negotiated microversion).
// Fault shape: https://docs.openstack.org/api-ref/compute/#faults — `{"<name>": {"code", "message"}}` where the
// name follows nova.api.openstack.wsgi.Fault._fault_names and anything unlisted (500, 406) is "computeFault".
import { createHash } from 'node:crypto';
import type { EmulatorReply, EmulatorRequest } from '../emulator/emulator-server.ts';
import type { Caller } from '../emulator/openstack-auth.ts';
import type { Cloud, Server } from '../seed/types.ts';
import type { NovaIndex } from './index-view.ts';

const FAULT_NAMES: Record<number, string> = {
  400: 'badRequest',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'itemNotFound',
  405: 'badMethod',
  409: 'conflictingRequest',
  413: 'overLimit',
  415: 'badMediaType',
  429: 'overLimit',
  501: 'notImplemented',
  503: 'serviceUnavailable',
};

export function novaFault(code: number, message: string): EmulatorReply {
  return { status: code, body: { [FAULT_NAMES[code] ?? 'computeFault']: { code, message } } };
}

export const instanceNotFound = (id: string) => novaFault(404, `Instance ${id} could not be found.`);
export const policyForbidden = (rule: string) => novaFault(403, `Policy doesn't allow ${rule} to be performed.`);

/** Mutable Nova-only state that the shared Cloud model has no field for. */
export interface NovaState {
  cloud: Cloud;
  index: NovaIndex;
  /** Servers whose delete was accepted and is in progress (task_state "deleting"). */
  deleting: Set<string>;
  /** The task_state of a server action in progress (powering-on, powering-off, rebooting, rebooting_hard). */
  tasks: Map<string, string>;
  /** Servers created with an explicit availability_zone (shown as pinned_availability_zone from 2.96). */
  pinnedAz: Map<string, string>;
  /** Servers whose scheduling failed (no host): shown with a NoValidHost fault once in ERROR. */
  noValidHost: Set<string>;
  /** Nova's integer instance ids, for `OS-EXT-SRV-ATTR:instance_name` ("instance-%08x"). */
  instanceNumbers: Map<string, number>;
  nextInstanceNumber: number;
}

export function instanceNumber(state: NovaState, server: Server): number {
  let n = state.instanceNumbers.get(server.id);
  if (n === undefined) {
    n = state.nextInstanceNumber++;
    state.instanceNumbers.set(server.id, n);
  }
  return n;
}

/** What a handler knows about the request it serves. */
export interface NovaContext {
  req: EmulatorRequest;
  caller: Caller;
  /** Negotiated microversion minor number: 2.X → X. */
  mv: number;
  state: NovaState;
}

/** `created` / `updated`: ISO 8601 to the second with Z, as `2017-02-14T19:24:42Z`. */
export const isoSeconds = (d: Date): string => d.toISOString().slice(0, 19) + 'Z';
/** `OS-SRV-USG:launched_at` and service `updated_at`: microseconds, no zone, as `2017-02-14T19:24:43.891568`. */
export const isoMicrosNoZone = (d: Date): string => d.toISOString().slice(0, 23) + '000';

const hostIds = new Map<string, string>();
/** nova.utils.generate_hostid: sha224(project_id + host) in hex — opaque, equal for servers of one project on one host. */
export function hostId(projectId: string, host: string): string {
  const key = projectId + host;
  let id = hostIds.get(key);
  if (id === undefined) hostIds.set(key, (id = createHash('sha224').update(key).digest('hex')));
  return id;
}

/** A stable UUID-shaped id derived from a string (for ids Nova has and our model does not, e.g. service ids). */
export function derivedUuid(seed: string): string {
  const h = createHash('md5').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * oslo.utils strutils.bool_from_string(strict=True), which Nova uses for `all_tenants`.
 * Returns undefined for a value it does not recognise (Nova answers 400).
 */
export function strictBool(value: string): boolean | undefined {
  const v = value.trim().toLowerCase();
  if (['1', 't', 'true', 'on', 'y', 'yes'].includes(v)) return true;
  if (['0', 'f', 'false', 'off', 'n', 'no'].includes(v)) return false;
  return undefined;
}

/**
 * The `next` link Nova builds (nova.api.openstack.common.ViewBuilder._get_next_link): the request's query
 * parameters sorted by (key, value), collapsed to one value per key (the last after sorting — repeated
 * `status=` values are lost, which is why clients should rebuild the URL from `marker`), marker set, and
 * encoded with Python's urlencode (quote_plus).
 */
export function nextLink(origin: string, collectionPath: string, query: URLSearchParams, marker: string): string {
  const pairs = [...query.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  const params = new Map<string, string>();
  for (const [k, v] of pairs) params.set(k, v);
  params.set('marker', marker);
  const enc = (s: string) =>
    encodeURIComponent(s)
      .replace(/%20/g, '+')
      .replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
  const qs = [...params].map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&');
  return `${origin}/v2.1/${collectionPath}?${qs}`;
}

/**
 * Nova's `limit` query parameter: a non-negative integer capped at CONF.api.max_limit (1000).
 * Returns the limit, or a 400 reply in the message shape of Nova's query-parameter schema validation.
 */
export const MAX_LIMIT = 1000;
export function parseLimit(query: URLSearchParams): number | EmulatorReply {
  const raw = query.get('limit');
  if (raw === null) return MAX_LIMIT;
  if (!/^[0-9]+$/.test(raw)) {
    return novaFault(400, `Invalid input for query parameters limit. Value: ${raw}. '${raw}' does not match '^[0-9]*$'`);
  }
  return Math.min(Number(raw), MAX_LIMIT);
}
