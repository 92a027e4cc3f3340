// Emulated Glance (image API v2): image list and show over the shared Cloud, with Glance's own
// visibility rules, filter operators and pagination. https://docs.openstack.org/api-ref/image/v2/
//
// GET /v2/images — what clients must know (glance/api/v2/images.py, glance/db/sqlalchemy/api.py):
// - `limit` default 25, capped at 1000 (api_limit_max); `marker` is an image id (unknown → 400, not
//   visible → 403). `next` (relative to the endpoint root, `/v2/images?…&marker=…`, other params kept)
//   is present whenever the page is full, so an exactly-full last page points at an empty page.
//   `first` is `/v2/images` plus the request's params without `marker`.
// - Default listing: public, the caller's own, and shared-with-the-caller images, not others' community
//   images; `visibility=public|private|shared|community|all` narrows/widens it. Admins see every project's
//   images. `os_hidden` images are listed only with `os_hidden=true` (and then only they).
// - `id`, `name`, `status`, `container_format`, `disk_format` take `in:a,b,"c,d"` and `eq:` operators;
//   `owner`, `checksum`, `min_disk`, … are equality filters; `size_min`/`size_max`; repeated `tag`;
//   `created_at`/`updated_at` with gt/gte/lt/lte/eq/neq. Unknown keys are image-property filters, which
//   nothing in this cloud matches. Sorting: `sort=key:dir,…` or `sort_key`/`sort_dir`.
// GET /v2/images/{id} — any image the caller may see, hidden ones too; otherwise 404.
// Errors are webob's JSON errors: {"message", "code": "404 Not Found", "title": "Not Found"}.
import { randomUUID } from 'node:crypto';
import { createEmulator, type Emulator, type EmulatorReply } from '../emulator/emulator-server.ts';
import { withAuth, type Caller } from '../emulator/openstack-auth.ts';
import type { Cloud, Image } from '../seed/types.ts';
import { compareValues, urlencode } from '../emulator/sorted-view.ts';
import { imageBody, imageListed, imageVisible } from './serialize.ts';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

class GlanceError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function glanceError(status: number, message: string): EmulatorReply {
  const title = TITLES[status] ?? 'Error';
  return {
    status,
    headers: { 'x-openstack-request-id': `req-${randomUUID()}` },
    body: { message, code: `${status} ${title}`, title },
  };
}

const SORT_VALUES: Record<string, (image: Image) => string | number | null> = {
  name: (i) => i.name,
  status: (i) => i.status,
  container_format: (i) => i.containerFormat,
  disk_format: (i) => i.diskFormat,
  size: (i) => (i.status === 'queued' ? null : i.size),
  id: (i) => i.id,
  created_at: (i) => i.createdAt.getTime(),
  updated_at: (i) => i.updatedAt.getTime(),
};
const SORT_KEYS = Object.keys(SORT_VALUES);

/** glance.common.utils.validate_quotes + split_filter_value_for_quotes, for the `in:` operator. */
export function splitInValues(value: string): string[] {
  let open = true;
  for (let i = 0; i < value.length; i++) {
    if (value[i] !== '"' || (i && value[i - 1] === '\\')) continue;
    if (open && i && value[i - 1] !== ',')
      throw new GlanceError(400, `Invalid filter value ${value}. There is no comma before opening quotation mark.`);
    if (!open && i + 1 !== value.length && value[i + 1] !== ',')
      throw new GlanceError(400, `Invalid filter value ${value}. There is no comma after closing quotation mark.`);
    open = !open;
  }
  if (!open) throw new GlanceError(400, `Invalid filter value ${value}. The quote is not closed.`);
  const out: string[] = [];
  const re = /"([^"\\]*(?:\\.[^"\\]*)*)",?|([^,]+),?|,/g;
  for (const m of value.matchAll(re)) out.push(m[1] || m[2] || '');
  return out;
}

/** glance.common.utils.split_filter_op: `in:a,b` → ['in', 'a,b']; no operator → 'eq'. */
function splitOp(expression: string): [string, string] {
  const i = expression.indexOf(':');
  if (i === -1 || (/^\d{4}-/.test(expression) && !Number.isNaN(Date.parse(expression)))) return ['eq', expression];
  return [expression.slice(0, i), expression.slice(i + 1)];
}

type Predicate = (image: Image, body: Record<string, unknown>) => boolean;

function filterPredicate(key: string, value: string): Predicate {
  if (key.endsWith('_min') || key.endsWith('_max')) {
    const column = key.slice(0, -4);
    if (!/^\s*[+-]?\d+\s*$/.test(value)) throw new GlanceError(400, 'Unable to filter on a range with a non-numeric value.');
    const bound = Number(value);
    return (_, b) => typeof b[column] === 'number' && (key.endsWith('_min') ? (b[column] as number) >= bound : (b[column] as number) <= bound);
  }
  if (key === 'created_at' || key === 'updated_at') {
    const [op, iso] = splitOp(value);
    const t = Date.parse(iso);
    if (Number.isNaN(t)) throw new GlanceError(400, `Invalid date format: ${iso}`);
    const cmp: Record<string, (x: number) => boolean> = {
      gt: (x) => x > t,
      gte: (x) => x >= t,
      lt: (x) => x < t,
      lte: (x) => x <= t,
      eq: (x) => x === t,
      neq: (x) => x !== t,
    };
    if (!cmp[op]) throw new GlanceError(400, `Unable to filter by unknown operator '${op}'.`);
    return (image) => cmp[op]((key === 'created_at' ? image.createdAt : image.updatedAt).getTime());
  }
  if (['name', 'id', 'status', 'container_format', 'disk_format'].includes(key)) {
    const [op, operand] = splitOp(value);
    if (op === 'in') {
      const wanted = new Set(splitInValues(operand));
      return (_, b) => wanted.has(b[key] as string);
    }
    if (op !== 'eq') throw new GlanceError(400, `Unable to filter by unknown operator '${op}'.`);
    return (_, b) => b[key] === operand;
  }
  if (['owner', 'checksum', 'os_hash_value', 'os_hash_algo', 'size', 'virtual_size', 'min_disk', 'min_ram', 'visibility'].includes(key)) {
    return (_, b) => b[key] !== null && String(b[key]) === value;
  }
  // Anything else is an image property filter; the seed's images carry no extra properties.
  return () => false;
}

function sorting(query: URLSearchParams): { keys: string[]; dirs: string[] } {
  let keys: string[] = [];
  let dirs: string[] = [];
  const checkKey = (k: string) => {
    if (!SORT_KEYS.includes(k)) throw new GlanceError(400, `Invalid sort key: ${k}. It must be one of the following: ${SORT_KEYS.join(', ')}.`);
    return k;
  };
  const checkDir = (d: string) => {
    if (d !== 'asc' && d !== 'desc') throw new GlanceError(400, `Invalid sort direction: ${d}`);
    return d;
  };
  if (query.has('sort')) {
    if (query.has('sort_key') || query.has('sort_dir')) throw new GlanceError(400, 'Old and new sorting syntax cannot be combined');
    for (const part of query.get('sort')!.trim().split(',')) {
      const [k, d] = part.split(':');
      keys.push(checkKey(k.trim()));
      dirs.push(checkDir((d ?? 'desc').trim() || 'desc'));
    }
  } else {
    keys = query.getAll('sort_key').map((k) => checkKey(k.trim()));
    dirs = query.getAll('sort_dir').map((d) => checkDir(d.trim()));
    if (dirs.length > 1 && dirs.length !== keys.length) throw new GlanceError(400, 'Number of sort dirs does not match the number of sort keys');
  }
  if (!keys.length) keys = ['created_at'];
  const defaultDir = dirs.length === 1 ? dirs[0] : 'desc';
  if (!dirs.length) dirs = [defaultDir];
  if (dirs.length === 1) dirs = keys.map(() => dirs[0]);
  for (const k of ['created_at', 'id']) {
    if (!keys.includes(k)) {
      keys.push(k);
      dirs.push(defaultDir);
    }
  }
  return { keys, dirs };
}

const RESERVED = new Set(['limit', 'marker', 'member_status', 'tag', 'sort', 'sort_key', 'sort_dir']);

export function createGlance(cloud: Cloud): Emulator {
  const json = (body: unknown): EmulatorReply => ({
    status: 200,
    headers: { 'content-type': 'application/json; charset=UTF-8', 'x-openstack-request-id': `req-${randomUUID()}` },
    body: JSON.stringify(body),
  });
  const guarded = (fn: (q: URLSearchParams, caller: Caller, id?: string) => EmulatorReply) =>
    withAuth(cloud, (req, caller) => {
      try {
        return fn(req.query, caller, req.params.image_id);
      } catch (err) {
        if (err instanceof GlanceError) return glanceError(err.status, err.message);
        throw err;
      }
    });

  const list = guarded((query, caller) => {
    // Python's dict(request.params): one value per key (the last), in first-seen order.
    const params = new Map<string, string>();
    for (const [k, v] of query) params.set(k, v);
    let limit = 25;
    if (params.has('limit')) {
      const raw = params.get('limit')!;
      if (!/^\s*[+-]?\d+\s*$/.test(raw)) throw new GlanceError(400, 'limit param must be an integer');
      limit = Number(raw);
      if (limit < 0) throw new GlanceError(400, 'limit param must be positive');
    }
    limit = Math.min(limit, 1000);
    const memberStatus = params.get('member_status') ?? 'accepted';
    if (!['pending', 'accepted', 'rejected', 'all'].includes(memberStatus)) throw new GlanceError(400, `Invalid status: ${memberStatus}`);
    const visibility = params.get('visibility');
    if (visibility !== undefined && !['community', 'public', 'private', 'shared', 'all'].includes(visibility)) {
      throw new GlanceError(400, `Invalid visibility value: ${visibility}`);
    }
    const osHidden = (params.get('os_hidden') ?? 'false').toLowerCase();
    if (osHidden !== 'true' && osHidden !== 'false') {
      throw new GlanceError(400, `Invalid value '${osHidden}' for 'os_hidden' filter. Valid values are 'true' or 'false'.`);
    }
    const predicates: Predicate[] = [(image) => image.hidden === (osHidden === 'true')];
    const prot = params.get('protected');
    if (prot !== undefined) {
      if (prot !== 'true' && prot !== 'false')
        throw new GlanceError(400, `Invalid value '${prot}' for 'protected' filter. Valid values are 'true' or 'false'.`);
      predicates.push(() => prot === 'false');
    }
    for (const tag of query.getAll('tag')) predicates.push((image) => image.tags.includes(tag.trim()));
    for (const [k, v] of params) {
      if (RESERVED.has(k) || k === 'visibility' || k === 'os_hidden' || k === 'protected') continue;
      predicates.push(filterPredicate(k, v));
    }
    const { keys, dirs } = sorting(query);
    const order = (a: Image, b: Image) => {
      for (let i = 0; i < keys.length; i++) {
        const c = compareValues(SORT_VALUES[keys[i]](a), SORT_VALUES[keys[i]](b));
        if (c) return dirs[i] === 'asc' ? c : -c;
      }
      return 0;
    };
    const matched = cloud.images
      .filter((image) => imageListed(image, caller, visibility, memberStatus))
      .filter((image) => {
        const body = imageBody(image);
        return predicates.every((p) => p(image, body));
      })
      .sort(order);
    let start = 0;
    const marker = params.get('marker');
    if (marker !== undefined) {
      const markerImage = cloud.images.find((im) => im.id === marker);
      if (!markerImage) throw new GlanceError(400, `No image found with ID ${marker}`);
      if (!imageVisible(markerImage, caller)) throw new GlanceError(403, `Forbidding request, image ${marker} not visible`);
      while (start < matched.length && order(matched[start], markerImage) <= 0) start++;
    }
    const page = matched.slice(start, start + limit);
    params.delete('marker');
    const body: Record<string, unknown> = {
      images: page.map(imageBody),
      first: params.size ? `/v2/images?${urlencode(params)}` : '/v2/images',
      schema: '/v2/schemas/images',
    };
    if (page.length !== 0 && page.length === limit) {
      params.set('marker', page[page.length - 1].id);
      body.next = `/v2/images?${urlencode(params)}`;
    }
    return json(body);
  });

  const show = guarded((_query, caller, id) => {
    const image = cloud.images.find((im) => im.id === id);
    if (!image || !imageVisible(image, caller)) throw new GlanceError(404, `No image found with ID ${id}`);
    return json(imageBody(image));
  });

  // Version discovery, without a token: GET /versions (200) and GET / (300 Multiple Choices), every v2.x
  // pointing at /v2/. https://docs.openstack.org/api-ref/image/versions/
  const versions = (origin: string) => ({
    versions: ['2.16', '2.15', '2.9', '2.8', '2.7', '2.6', '2.5', '2.4', '2.3', '2.2', '2.1', '2.0'].map((v, i) => ({
      id: `v${v}`,
      status: i === 0 ? 'CURRENT' : 'SUPPORTED',
      links: [{ rel: 'self', href: `${origin}/v2/` }],
    })),
  });

  return createEmulator({
    name: 'glance',
    routes: [
      { method: 'GET', pattern: '/versions', handler: (req) => ({ status: 200, body: versions(req.origin) }) },
      { method: 'GET', pattern: '/', handler: (req) => ({ status: 300, body: versions(req.origin) }) },
      { method: 'GET', pattern: '/v2/images', handler: list },
      { method: 'GET', pattern: '/v2/images/:image_id', handler: show },
    ],
    errorReply: (status, message) =>
      glanceError(status, status >= 500 ? 'The server has either erred or is incapable of performing the requested operation.' : message),
    notFoundReply: () => glanceError(404, 'The resource could not be found.'),
  });
}
