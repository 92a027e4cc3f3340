// Nova server reads: GET /servers, GET /servers/detail, GET /servers/{id}.
// https://docs.openstack.org/api-ref/compute/#list-servers · #list-servers-detailed · #show-server-details
//
// Filter policy as nova/api/openstack/compute/servers.py applies it:
//   - `all_tenants` (present and not false; an empty value counts as true) needs the admin policy, else 403.
//   - without all_tenants every caller — admins included — sees only its own project's servers.
//   - `project_id`/`tenant_id` (with all_tenants), `host`, `node`, `uuid`, `user_id`, `key_name` are admin-only;
//     `availability_zone`, `user_id`, `key_name` open to members from 2.83. Filters a caller may not use are
//     SILENTLY IGNORED (removed from the search options), never an error.
//   - `status` repeatable (OR); unknown values only → empty list, or 400 from 2.38; `DELETED` → 403 for members.
//   - `name` is a regular expression (database REGEXP: unanchored, case-insensitive with MySQL's collation).
//   - `changes-since` / `changes-before` (2.66) compare `updated`; with `changes-since` deleted servers are listed too
//     (status DELETED), as Nova does for any caller within its scope. Order: created_at desc, id desc.
//   - `limit` ≤ 1000; `marker` any server Nova ever had (else 400 "marker [x] not found"); `servers_links`
//     only when the page is full.
import type { EmulatorReply } from '../emulator/emulator-server.ts';
import type { Server } from '../seed/types.ts';
import { type NovaContext, instanceNotFound, nextLink, novaFault, parseLimit, policyForbidden, strictBool } from './common.ts';
import { NovaIndex, serverOrder } from './index-view.ts';
import { serverBuffer, serverJson, serverSummaryBuffer } from './serialize.ts';

/** Statuses Nova knows (common._STATE_MAP); the ones our model has can match, the rest match nothing. */
const KNOWN_STATUSES = new Set([
  'ACTIVE',
  'BUILD',
  'SHUTOFF',
  'ERROR',
  'PAUSED',
  'DELETED',
  'REBOOT',
  'HARD_REBOOT',
  'PASSWORD',
  'REBUILD',
  'MIGRATING',
  'RESIZE',
  'VERIFY_RESIZE',
  'REVERT_RESIZE',
  'SUSPENDED',
  'RESCUE',
  'SOFT_DELETED',
  'SHELVED',
  'SHELVED_OFFLOADED',
]);

type Predicate = (s: Server) => boolean;

const lastSegment = (ref: string) => ref.slice(ref.lastIndexOf('/') + 1);

/** A server the caller may see, or undefined (Nova answers 404 for another project's server). */
export function visibleServer(ctx: NovaContext, id: string): Server | undefined {
  const server = ctx.state.index.server(id);
  if (!server) return undefined;
  return ctx.caller.isAdmin || server.projectId === ctx.caller.projectId ? server : undefined;
}

export function listServers(ctx: NovaContext, detail: boolean): EmulatorReply {
  const { req, caller, mv, state } = ctx;
  const q = req.query;
  const admin = caller.isAdmin;

  let allTenants = false;
  const rawAll = q.get('all_tenants');
  if (rawAll !== null) {
    const parsed = rawAll === '' ? true : strictBool(rawAll);
    if (parsed === undefined) {
      return novaFault(
        400,
        `Invalid input received: Unrecognized value '${rawAll}', acceptable values are: '0', '1', 'f', 'false', 'n', 'no', 'off', 'on', 't', 'true', 'y', 'yes'`,
      );
    }
    allTenants = parsed;
  }
  if (allTenants && !admin) return policyForbidden(`os_compute_api:servers:${detail ? 'detail' : 'index'}:get_all_tenants`);

  const limit = parseLimit(q);
  if (typeof limit !== 'number') return limit;

  const preds: Predicate[] = [];
  const statuses = q.getAll('status').map((s) => s.toUpperCase());
  if (statuses.length > 0) {
    const known = statuses.filter((s) => KNOWN_STATUSES.has(s));
    if (known.length === 0) {
      if (mv >= 38) return novaFault(400, 'Invalid status value');
      return page(ctx, detail, [], limit);
    }
    if (known.length === 1 && known[0] === 'DELETED' && !admin) return novaFault(403, 'Only administrators may list deleted instances');
    const wanted = new Set(known);
    preds.push((s) => wanted.has(s.status));
  }
  for (const [param, cmp] of [
    ['changes-since', 1],
    ['changes-before', -1],
  ] as const) {
    const raw = q.get(param);
    if (raw === null || (param === 'changes-before' && mv < 66)) continue;
    const at = Date.parse(raw);
    if (Number.isNaN(at)) return novaFault(400, `Invalid filter field: ${param}.`);
    preds.push(cmp === 1 ? (s) => s.updatedAt.getTime() >= at : (s) => s.updatedAt.getTime() <= at);
  }
  const name = q.get('name');
  if (name !== null) {
    let re: RegExp;
    try {
      re = new RegExp(name, 'i');
    } catch {
      re = new RegExp(name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i');
    }
    preds.push((s) => re.test(s.name));
  }
  const image = q.get('image');
  if (image !== null) preds.push((s) => s.imageId === lastSegment(image));
  const flavor = q.get('flavor');
  if (flavor !== null) preds.push((s) => s.flavorId === lastSegment(flavor));

  // Filters only admins (or, from 2.83, everyone) may use; for others they are dropped without a word.
  const eq = (param: string, field: (s: Server) => string, allowed: boolean) => {
    const value = q.get(param);
    if (value !== null && allowed) preds.push((s) => field(s) === value);
  };
  eq('availability_zone', (s) => s.zone, admin || mv >= 83);
  eq('user_id', (s) => s.userId, admin || mv >= 83);
  eq('key_name', (s) => s.keyName ?? '', admin || mv >= 83);
  eq('host', (s) => s.host, admin);
  eq('node', (s) => s.host, admin);
  eq('uuid', (s) => s.id, admin);

  let projectId: string | undefined = caller.projectId;
  if (allTenants) projectId = q.get('project_id') ?? q.get('tenant_id') ?? undefined;

  let source = state.index.sorted(projectId);
  const since = q.get('changes-since');
  const gone = since === null ? [] : state.index.deletedSince(Date.parse(since), projectId);
  if (gone.length > 0) source = [...source, ...gone].sort(serverOrder);
  let start = 0;
  const marker = q.get('marker');
  if (marker !== null) {
    const key = state.index.markerKey(marker);
    if (!key) return novaFault(400, `marker [${marker}] not found`);
    start = NovaIndex.after(source, key);
  }
  const out: Server[] = [];
  if (limit > 0) {
    outer: for (let i = start; i < source.length; i++) {
      const s = source[i];
      if (s.status === 'DELETED' && since === null) continue;
      for (let p = 0; p < preds.length; p++) if (!preds[p](s)) continue outer;
      out.push(s);
      if (out.length === limit) break;
    }
  }
  return page(ctx, detail, out, limit);
}

const OPEN = Buffer.from('{"servers":[');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']}');

function page(ctx: NovaContext, detail: boolean, servers: Server[], limit: number): EmulatorReply {
  const { req, caller, mv, state } = ctx;
  const chunks: Buffer[] = [OPEN];
  let length = OPEN.length;
  for (let i = 0; i < servers.length; i++) {
    if (i > 0) {
      chunks.push(COMMA);
      length += 1;
    }
    const buf = detail ? serverBuffer(state, servers[i], caller.isAdmin, mv, req.origin) : serverSummaryBuffer(servers[i], req.origin);
    chunks.push(buf);
    length += buf.length;
  }
  if (limit > 0 && servers.length === limit) {
    const href = nextLink(req.origin, detail ? 'servers/detail' : 'servers', req.query, servers[servers.length - 1].id);
    const links = Buffer.from('],"servers_links":' + JSON.stringify([{ href, rel: 'next' }]) + '}');
    chunks.push(links);
    length += links.length;
  } else {
    chunks.push(CLOSE);
    length += CLOSE.length;
  }
  return { status: 200, body: Buffer.concat(chunks, length) };
}

export function showServer(ctx: NovaContext): EmulatorReply {
  const server = visibleServer(ctx, ctx.req.params.id);
  if (!server) return instanceNotFound(ctx.req.params.id);
  let json = serverJson(ctx.state, server, ctx.caller.isAdmin, ctx.mv, ctx.req.origin);
  // 2.71 adds the server's groups to the show view only (not to listings).
  if (ctx.mv >= 71) json = json.slice(0, -1) + ',"server_groups":[]}';
  return { status: 200, body: '{"server":' + json + '}' };
}
