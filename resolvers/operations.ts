// Operations and the audit log as the graph shows them (schema/operations.graphql): `operation(id)`,
// `operations(filter, first, after)` — members see their own project's, administrators every project's — and
// `auditLog` (administrators only). An operation's `target` is read live through the loaders with the reader's
// own credentials, like `node(id)`, so it authorises like every other path.
import type {
  AuditEntryResolvers,
  DiskOperationPayloadResolvers,
  FloatingIpOperationPayloadResolvers,
  HostOperationPayloadResolvers,
  InstanceOperationPayloadResolvers,
  OperationResolvers,
  QueryResolvers,
} from './generated-types.ts';
import type { GraphContext } from './context.ts';
import { MosaicError } from '../core/errors.ts';
import { operationsOf, visibleOperation } from './operation-access.ts';
import { isObjectIdHex } from '../datasources/operations/store.ts';
import type { OperationRecord } from '../datasources/operations/types.ts';
import { requireAdmin, requireOwnProject } from './authorize.ts';
import { expectGlobalId, toGlobalId } from './global-id.ts';
import { resolveNode } from './node.ts';

const MAX_PAGE = 100;
const DEFAULT_PAGE = 20;

const cursorOf = (id: string) => Buffer.from(`after:${id}`, 'utf8').toString('base64url');
function idOfCursor(cursor: string | null | undefined): string | null {
  if (cursor === null || cursor === undefined) return null;
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  const id = decoded.startsWith('after:') ? decoded.slice('after:'.length) : '';
  if (!isObjectIdHex(id)) throw new MosaicError('MOSAIC_ERR_BAD_CURSOR');
  return id;
}

function pageSize(first: number | null | undefined): number {
  const n = first ?? DEFAULT_PAGE;
  if (!Number.isInteger(n) || n < 0 || n > MAX_PAGE) throw new MosaicError('MOSAIC_ERR_BAD_ARGUMENT', `first must be between 0 and ${MAX_PAGE}`);
  return n;
}

const pageInfo = (edges: { cursor: string }[], hasNextPage: boolean) => ({
  hasNextPage,
  hasPreviousPage: false,
  startCursor: edges[0]?.cursor ?? null,
  endCursor: edges[edges.length - 1]?.cursor ?? null,
});

export const operationQueries: Pick<QueryResolvers, 'operation' | 'operations' | 'auditLog'> = {
  operation: (_, { id }, ctx) => visibleOperation(ctx, expectGlobalId(id, 'Operation')),
  operations: async (_, { filter, first, after }, ctx) => {
    const caller = ctx.caller;
    requireOwnProject(caller, filter?.projectId);
    const ops = operationsOf(ctx);
    ops.credentials.remember(caller);
    const projectId = caller.isAdmin ? (filter?.projectId ?? undefined) : caller.projectId;
    const { items, hasNext } = await ops.store.list(
      { projectId, status: filter?.status ?? undefined, kind: filter?.kind ?? undefined },
      pageSize(first),
      idOfCursor(after),
    );
    const edges = items.map((node) => ({ cursor: cursorOf(node.id), node }));
    return { edges, nodes: items, pageInfo: pageInfo(edges, hasNext) };
  },
  auditLog: async (_, { first, after }, ctx) => {
    requireAdmin(ctx.caller, 'The audit log');
    const { items, hasNext } = await operationsOf(ctx).store.listAudit(pageSize(first), idOfCursor(after));
    const edges = items.map((node) => ({ cursor: cursorOf(node.id), node }));
    return { edges, pageInfo: pageInfo(edges, hasNext) };
  },
};

/** The operation's resource, live, as the reader may see it. */
const targetOf = async (op: OperationRecord, ctx: GraphContext) =>
  op.target
    ? resolveNode(ctx, toGlobalId(op.target.type, op.target.key)).catch((err: unknown) =>
        err instanceof MosaicError && err.errorName === 'MOSAIC_ERR_NOT_FOUND' ? null : Promise.reject(err),
      )
    : null;

export const Operation: OperationResolvers = {
  id: (op) => toGlobalId('Operation', op.id),
  target: (op, _, ctx) => targetOf(op, ctx) as never,
};

export const AuditEntry: AuditEntryResolvers = {
  operation: (entry, _, ctx) => (entry.operationId ? visibleOperation(ctx, entry.operationId) : null),
  input: (entry) => entry.input,
};

export const InstanceOperationPayload: InstanceOperationPayloadResolvers = {
  instance: async (p, _, ctx) => (p.operation.target?.type === 'Instance' ? ((await targetOf(p.operation, ctx)) as never) : null),
};
export const DiskOperationPayload: DiskOperationPayloadResolvers = {
  disk: async (p, _, ctx) => (p.operation.target?.type === 'Disk' ? ((await targetOf(p.operation, ctx)) as never) : null),
};
export const HostOperationPayload: HostOperationPayloadResolvers = {
  host: async (p, _, ctx) => (p.operation.target?.type === 'Host' ? ((await targetOf(p.operation, ctx)) as never) : null),
};
export const FloatingIpOperationPayload: FloatingIpOperationPayloadResolvers = {
  floatingIp: async (p, _, ctx) => (p.operation.target?.type === 'FloatingIp' ? ((await targetOf(p.operation, ctx)) as never) : null),
};
