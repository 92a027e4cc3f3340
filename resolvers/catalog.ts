// The catalogues a console browses: `images(filter, orderBy, first, after)` over Glance's own list, Image's owner
// edges, and `volumeTypes` from Cinder. Glance decides what the caller sees (its token is forwarded): the gateway
// only bounds and translates the arguments, before any upstream call.
// https://docs.openstack.org/api-ref/image/v2/#list-images
import type { GraphContext } from './context.ts';
import type { ImageResolvers, QueryImagesArgs, QueryResolvers, VolumeTypeResolvers } from './generated-types.ts';
import type { Image as ImageRecord } from '../core/domain.ts';
import { MosaicError } from '../core/errors.ts';
import { toGlobalId } from './global-id.ts';

export const DEFAULT_IMAGE_PAGE = 25;
/** No server-wide page size is configured (instances use their own constant), so 100, as the brief for #10 says. */
export const MAX_IMAGE_PAGE = 100;
const MAX_VALUES = 20;
const MAX_VALUE_LENGTH = 255;
/** Glance's image statuses (glance/db/sqlalchemy/models.py); anything else Glance answers 400. */
const STATUSES = new Set(['queued', 'saving', 'active', 'killed', 'deleted', 'pending_delete', 'deactivated', 'uploading', 'importing']);
const SORT_KEYS: Record<string, string> = { NAME: 'name', STATUS: 'status', SIZE: 'size', CREATED_AT: 'created_at', UPDATED_AT: 'updated_at' };

const bad = (message: string) => new MosaicError('MOSAIC_ERR_BAD_ARGUMENT', message);

/** A list argument, bounded in count and length before it reaches a URL. */
function bounded(name: string, values: readonly string[] | null | undefined): string[] | undefined {
  if (!values) return undefined;
  if (values.length > MAX_VALUES) throw bad(`${name} takes at most ${MAX_VALUES} values`);
  for (const v of values)
    if (v.length === 0 || v.length > MAX_VALUE_LENGTH) throw bad(`each ${name} value must be 1 to ${MAX_VALUE_LENGTH} characters`);
  return [...values];
}

/**
 * Glance's `in:` / `eq:` operators: one value is `eq:v` (so a value holding a colon is not read as an operator),
 * several `in:a,"b,c"` with commas quoted. A double quote inside a value cannot be written in Glance's syntax.
 */
function operand(name: string, values: string[]): string {
  if (values.length === 1) return `eq:${values[0]}`;
  if (values.some((v) => v.includes('"'))) throw bad(`${name} values with a double quote can only be asked for one at a time`);
  return `in:${values.map((v) => (v.includes(',') ? `"${v}"` : v)).join(',')}`;
}

const cursorOf = (id: string) => Buffer.from(`image:${id}`, 'utf8').toString('base64url');
function markerOf(cursor: string): string {
  const decoded = /^[A-Za-z0-9_-]{1,400}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  if (!decoded.startsWith('image:') || decoded.length === 'image:'.length) throw new MosaicError('MOSAIC_ERR_BAD_CURSOR');
  return decoded.slice('image:'.length);
}

export async function imageConnection(ctx: GraphContext, args: QueryImagesArgs) {
  const first = args.first ?? DEFAULT_IMAGE_PAGE;
  if (!Number.isInteger(first) || first < 0 || first > MAX_IMAGE_PAGE) throw bad(`first must be an integer from 0 to ${MAX_IMAGE_PAGE}`);
  const f = args.filter ?? {};
  const status = bounded(
    'status',
    f.status?.map((s) => s.toLowerCase()),
  );
  const unknown = status?.find((s) => !STATUSES.has(s));
  if (unknown) throw bad(`unknown image status "${unknown.slice(0, 40)}"; Glance's are ${[...STATUSES].join(', ')}`);
  const names = bounded('name', f.name);
  const tags = bounded('tags', f.tags);
  if (f.owner != null && (f.owner.length === 0 || f.owner.length > 64)) throw bad('owner must be a project id');
  const marker = args.after ? markerOf(args.after) : undefined;
  const order = args.orderBy;
  const filters = {
    visibility: f.visibility ? f.visibility.toLowerCase() : undefined,
    status: status?.length ? operand('status', status) : undefined,
    name: names?.length ? operand('name', names) : undefined,
    owner: f.owner ?? undefined,
    tag: tags,
  };
  // One more than asked: whether it came back says if there is a next page (Glance's `next` link is also
  // present on an exactly full last page).
  const images = await ctx.loaders.imagePage({
    filters,
    limit: first + 1,
    marker,
    sort: order ? `${SORT_KEYS[order.field]}:${(order.direction ?? 'DESC').toLowerCase()}` : undefined,
  });
  const page = images.slice(0, first);
  const edges = page.map((node) => ({ cursor: cursorOf(node.id), node }));
  return {
    edges,
    nodes: page,
    pageInfo: {
      hasNextPage: images.length > first,
      hasPreviousPage: marker !== undefined,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
  };
}

/** Image fields beyond compute.ts's: the owner as an id and as a Project (null when Keystone hides it). */
export const ImageOwner: ImageResolvers = {
  owner: (i: ImageRecord) => i.ownerId || null,
  ownerProject: (i: ImageRecord, _, ctx) => (i.ownerId ? ctx.loaders.project.load(i.ownerId) : null),
};

export const VolumeType: VolumeTypeResolvers = {
  id: (t) => toGlobalId('VolumeType', t.id),
  volumeTypeId: (t) => t.id,
  extraSpecs: (t) => t.extraSpecs,
};

export const catalogQueries: Pick<QueryResolvers, 'images' | 'volumeTypes'> = {
  images: (_, args, ctx) => imageConnection(ctx, args),
  volumeTypes: (_, __, ctx) => ctx.loaders.volumeTypes(),
};
