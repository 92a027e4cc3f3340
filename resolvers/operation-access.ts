// Who may read an operation, in one place for `operation(id)`, `node(id)` and the audit log's links: members their
// own project's, administrators every project's (datasources/operations/operations.ts `visible`). Without MongoDB
// there are no operations: MOSAIC_ERR_WRITES_OFF.
import type { GraphContext } from './context.ts';
import { MosaicError } from '../core/errors.ts';
import type { Operations } from '../datasources/operations/operations.ts';
import { isObjectIdHex } from '../datasources/operations/store.ts';
import type { OperationRecord } from '../datasources/operations/types.ts';

/** The operations service; MOSAIC_ERR_WRITES_OFF without MongoDB. */
export function operationsOf(ctx: GraphContext): Operations {
  const ops = ctx.services.operations;
  if (!ops) throw new MosaicError('MOSAIC_ERR_WRITES_OFF');
  return ops;
}

/** An operation by its hex id, if the caller may see it. */
export const visibleOperation = (ctx: GraphContext, id: string): Promise<OperationRecord | null> =>
  isObjectIdHex(id) ? operationsOf(ctx).visible(ctx.caller, id) : Promise.resolve(null);
