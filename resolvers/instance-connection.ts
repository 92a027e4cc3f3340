// `instances(filter, first, after)`: a Relay connection over the caller's servers. Filters Nova understands are
// sent to Nova; the connection pages locally because `totalCount` needs the whole list anyway. Cursors are
// opaque and name the last instance seen, so inserts before it do not shift a client's page.
import type { GraphContext } from './context.ts';
import type { QueryInstancesArgs } from './generated-types.ts';
import { MosaicError } from '../core/errors.ts';
import type { Instance } from '../core/domain.ts';
import { requireOwnProject } from './authorize.ts';

export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 1000;

const cursorOf = (id: string) => Buffer.from(`cursor:${id}`, 'utf8').toString('base64url');
const idOfCursor = (cursor: string) => {
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!decoded.startsWith('cursor:')) throw new MosaicError('MOSAIC_ERR_BAD_CURSOR');
  return decoded.slice('cursor:'.length);
};

export async function instanceConnection(ctx: GraphContext, args: QueryInstancesArgs) {
  const first = args.first ?? DEFAULT_PAGE;
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE) {
    throw new MosaicError('MOSAIC_ERR_BAD_ARGUMENT', `first must be an integer from 0 to ${MAX_PAGE}`);
  }
  const f = args.filter ?? {};
  requireOwnProject(ctx.caller, f.projectId);
  const listed: Instance[] = await ctx.loaders.serverList({
    status: f.status ?? undefined,
    availability_zone: f.zone ?? undefined,
    name: f.name ?? undefined,
    project_id: f.projectId ?? undefined,
  });
  // Nova ignores project_id for members; its answer is already their own project. It also ignores
  // availability_zone for members below microversion 2.83 (we speak 2.79), so the zone (an exact name) is
  // applied here as well.
  // https://docs.openstack.org/api-ref/compute/#list-servers
  const list = f.zone ? listed.filter((i) => i.zoneName === f.zone) : listed;
  let start = 0;
  if (args.after) {
    const afterId = idOfCursor(args.after);
    const index = list.findIndex((i) => i.id === afterId);
    if (index === -1) throw new MosaicError('MOSAIC_ERR_BAD_CURSOR', 'The cursor names an instance that is no longer listed.');
    start = index + 1;
  }
  const page = ctx.loaders.primeInstances(list.slice(start, start + first));
  const edges = page.map((node) => ({ cursor: cursorOf(node.id), node }));
  return {
    totalCount: list.length,
    edges,
    nodes: page,
    pageInfo: {
      hasNextPage: start + first < list.length,
      hasPreviousPage: start > 0,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
  };
}
