// A subgraph's GraphQL error as Mosaic passes it on: its message, its `extensions.code` only when it is one of
// Mosaic's public codes (a subgraph saying FORBIDDEN or BAD_USER_INPUT means that to the client too), and
// `service` = the subgraph's name. Its stack trace, its other extensions and its locations never leave the
// gateway: they describe the subgraph's internals and its copy of the query, not the client's.
import { MosaicError, type PublicCode } from '../../core/errors.ts';

const PASSED_ON = new Set<string>(['UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'BAD_USER_INPUT']);

export class SubgraphError extends MosaicError {
  private readonly publicCode: PublicCode;
  constructor(service: string, message: string, code: unknown) {
    super('MOSAIC_ERR_SUBGRAPH_ERROR', message, { service });
    this.publicCode = typeof code === 'string' && PASSED_ON.has(code) ? (code as PublicCode) : 'UPSTREAM_ERROR';
  }
  override get code(): PublicCode {
    return this.publicCode;
  }
}

/** One error of a subgraph's `errors` list, as it came (only message, path and extensions.code are read). */
export interface WireError {
  message?: unknown;
  path?: unknown;
  extensions?: { code?: unknown };
}

export const subgraphError = (service: string, e: WireError): SubgraphError =>
  new SubgraphError(service, typeof e.message === 'string' ? e.message : `${service} answered with an error`, e.extensions?.code);
