// Neutron's collection semantics, shared by ports, networks and floating IPs, as neutron/api/api_common.py
// and neutron/api/v2/base.py implement them: https://docs.openstack.org/api-ref/network/v2/#filtering-and-column-selection
//
// - Filters: any filterable attribute; a key repeated is OR (`device_id=A&device_id=B`), different keys
//   AND. Values are matched as sets, so a 4 KB list of ids costs one Set lookup per item. An attribute
//   that is not filterable is a 400 "['x'] is invalid attribute for filtering" (filter validation).
//   Booleans accept true/false/1/0, integers must parse (400 InvalidInput otherwise).
// - `fields=a&fields=b` keeps only those keys of each item.
// - Pagination (only when `limit` > 0): ordered by `sort_key`/`sort_dir` pairs then `id` ascending;
//   `marker` is an id the caller can see (else the resource's NotFound, 404); `page_reverse=True` pages
//   backwards. `<collection>_links` follows get_pagination_links: `next` unless a forward page came back
//   short, `previous` unless a reverse page came back short; hrefs are absolute, with the other params kept.
import { randomUUID } from 'node:crypto';
import type { EmulatorReply, EmulatorRequest } from '../emulator/emulator-server.ts';
import type { Cloud } from '../seed/types.ts';
import { compareValues, sortedView, urlencode } from '../emulator/sorted-view.ts';
import type { AttrValue, NeutronContext, ResourceDef } from './serialize.ts';

export class NeutronError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

export function neutronErrorReply(status: number, type: string, message: string): EmulatorReply {
  return {
    status,
    headers: { 'x-openstack-request-id': `req-${randomUUID()}` },
    body: { NeutronError: { type, message, detail: '' } },
  };
}

const okReply = (body: unknown): EmulatorReply => ({
  status: 200,
  headers: { 'content-type': 'application/json', 'x-openstack-request-id': `req-${randomUUID()}` },
  body: JSON.stringify(body),
});

const SKIPS = new Set(['fields', 'sort_key', 'sort_dir', 'limit', 'marker', 'page_reverse']);
/** Python's repr of a list of strings, as Neutron puts it in its messages. */
const pyList = (items: string[]) => `[${items.map((s) => `'${s}'`).join(', ')}]`;

function normalise(kind: string, value: string): string {
  if (kind === 'bool') {
    const v = value.toLowerCase();
    if (v === 'true' || v === '1') return 'true';
    if (v === 'false' || v === '0') return 'false';
    throw new NeutronError(400, 'InvalidInput', `Invalid input for operation: '${value}' cannot be converted to boolean.`);
  }
  if (kind === 'int') {
    if (!/^\s*[+-]?\d+\s*$/.test(value)) throw new NeutronError(400, 'InvalidInput', `Invalid input for operation: '${value}' is not an integer.`);
    return String(Number(value));
  }
  return value;
}

const asString = (v: AttrValue) => (v === null ? null : typeof v === 'boolean' ? (v ? 'true' : 'false') : String(v));

function project(item: Record<string, unknown>, fields: string[]): Record<string, unknown> {
  if (!fields.length) return item;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) if (fields.includes(k)) out[k] = v;
  return out;
}

const byIdViews = new WeakMap<Cloud, Map<string, () => readonly { id: string }[]>>();
/** The resource's items ordered by id, cached until the collection's membership changes. */
function itemsById<T extends { id: string }>(def: ResourceDef<T>, cloud: Cloud): readonly T[] {
  let views = byIdViews.get(cloud);
  if (!views) byIdViews.set(cloud, (views = new Map()));
  let view = views.get(def.collection);
  if (!view) {
    view = sortedView(
      () => def.items(cloud),
      (a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    );
    views.set(def.collection, view);
  }
  return view() as readonly T[];
}

export function listResources<T extends { id: string }>(def: ResourceDef<T>, ctx: NeutronContext, req: EmulatorRequest): EmulatorReply {
  const q = req.query;
  const fields = q.getAll('fields').filter((f) => f);
  const last = (k: string) => {
    const all = q.getAll(k);
    return all.length ? all[all.length - 1] : undefined;
  };

  // Filters: one predicate per key, OR within a key, AND across keys.
  const grouped = new Map<string, string[]>();
  for (const [k, v] of q) {
    if (SKIPS.has(k)) continue;
    if (!grouped.has(k)) grouped.set(k, []);
    grouped.get(k)!.push(v);
  }
  const invalid = [...grouped.keys()].filter((k) => !def.attrs[k] && !def.special?.[k] && !k.includes('tags'));
  if (invalid.length) throw new NeutronError(400, 'HTTPBadRequest', `${pyList(invalid)} is invalid attribute for filtering`);
  const predicates: ((item: T) => boolean)[] = [];
  for (const [k, values] of grouped) {
    if (def.special?.[k]) predicates.push(def.special[k](values));
    else if (k === 'tags' || k === 'tags-any')
      predicates.push(() => false); // no resource here carries tags
    else if (k === 'not-tags' || k === 'not-tags-any') continue;
    else {
      const attr = def.attrs[k];
      const wanted = new Set(values.map((v) => normalise(attr.kind, v)));
      predicates.push((item) => {
        const got = asString(attr.get(item));
        return got !== null && wanted.has(got);
      });
    }
  }

  // Sorting: explicit keys, then id ascending.
  const sortKeys = q.getAll('sort_key').filter((s) => s);
  const sortDirs = q.getAll('sort_dir').filter((s) => s);
  if (sortKeys.length !== sortDirs.length) throw new NeutronError(400, 'HTTPBadRequest', 'The number of sort_keys and sort_dirs must be same');
  const absent = sortKeys.filter((k) => !def.attrs[k]);
  if (absent.length) throw new NeutronError(400, 'HTTPBadRequest', `${pyList(absent)} is invalid attribute for sort_keys`);
  const badDirs = sortDirs.filter((d) => d !== 'asc' && d !== 'desc');
  if (badDirs.length)
    throw new NeutronError(400, 'HTTPBadRequest', `${pyList(badDirs)} is invalid value for sort_dirs, valid value is 'asc' and 'desc'`);
  const order = (a: T, b: T): number => {
    for (let i = 0; i < sortKeys.length; i++) {
      const get = def.attrs[sortKeys[i]].get;
      const c = compareValues(get(a), get(b));
      if (c) return sortDirs[i] === 'asc' ? c : -c;
    }
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  };

  const source = itemsById(def, ctx.cloud);
  const matched: T[] = [];
  for (const item of source) if (def.visible(item, ctx) && predicates.every((p) => p(item))) matched.push(item);
  if (sortKeys.length) matched.sort(order);

  // Pagination.
  const rawLimit = last('limit') ?? '0';
  if (!/^\s*\d+\s*$/.test(rawLimit)) {
    throw new NeutronError(400, 'BadRequest', `Bad limit request: Limit must be an integer 0 or greater and not '${rawLimit}'.`);
  }
  const limit = Number(rawLimit);
  let page = matched;
  let links: { rel: string; href: string }[] | undefined;
  if (limit > 0) {
    const marker = last('marker');
    const reverse = (last('page_reverse') ?? 'False').toLowerCase() === 'true';
    let markerItem: T | undefined;
    if (marker) {
      markerItem = def.items(ctx.cloud).find((item) => item.id === marker && def.visible(item, ctx));
      if (!markerItem) {
        const nf = def.notFound(marker);
        throw new NeutronError(404, nf.type, nf.message);
      }
    }
    if (!reverse) {
      let start = 0;
      if (markerItem) while (start < matched.length && order(matched[start], markerItem) <= 0) start++;
      page = matched.slice(start, start + limit);
    } else {
      let end = matched.length;
      if (markerItem) {
        end = 0;
        while (end < matched.length && order(matched[end], markerItem) < 0) end++;
      }
      page = matched.slice(Math.max(0, end - limit), end);
    }
    links = paginationLinks(req, page, limit, reverse);
  }

  const body: Record<string, unknown> = { [def.collection]: page.map((item) => project(def.serialize(item, ctx), fields)) };
  if (links?.length) body[`${def.collection}_links`] = links;
  return okReply(body);
}

/** neutron.api.api_common.get_pagination_links / get_next_link / get_previous_link. */
function paginationLinks(req: EmulatorRequest, items: { id: string }[], limit: number, reverse: boolean) {
  const links: { rel: string; href: string }[] = [];
  const base = `${req.origin}${req.path}`;
  const params = () => [...req.query].filter(([k]) => k !== 'marker') as [string, string][];
  if (!(items.length < limit && !reverse)) {
    const p = params().filter(([k]) => k !== 'page_reverse');
    if (items.length) p.push(['marker', items[items.length - 1].id]);
    links.push({ rel: 'next', href: `${base}?${urlencode(p)}` });
  }
  if (!(items.length < limit && reverse)) {
    const p = params().filter(([k]) => k !== 'page_reverse');
    if (items.length) p.push(['marker', items[0].id]);
    p.push(['page_reverse', 'True']);
    links.push({ rel: 'previous', href: `${base}?${urlencode(p)}` });
  }
  return links;
}

export function showResource<T extends { id: string }>(def: ResourceDef<T>, ctx: NeutronContext, req: EmulatorRequest, id: string): EmulatorReply {
  const item = def.items(ctx.cloud).find((x) => x.id === id && def.visible(x, ctx));
  if (!item) {
    const nf = def.notFound(id);
    throw new NeutronError(404, nf.type, nf.message);
  }
  const fields = req.query.getAll('fields').filter((f) => f);
  return okReply({ [def.member]: project(def.serialize(item, ctx), fields) });
}
