// Trusted documents on the /graphql route, before either runtime parses anything (http-protocol.ts calls it):
//  - a request may name a registered document instead of sending it: `documentId` ("sha256:<hex>" or "<hex>",
//    https://github.com/graphql/graphql-over-http/blob/main/rfcs/PersistedOperations.md) or Apollo's automatic
//    persisted query extension `{"persistedQuery": {"version": 1, "sha256Hash": "<hex>"}}`
//    (https://www.apollographql.com/docs/apollo-server/performance/apq); an unknown id is answered as Apollo does
//    (HTTP 200, message `PersistedQueryNotFound`), so Apollo Client's APQ link sends the text next;
//  - with `security.apq: true` (development), a request carrying both text and hash registers the text, once the
//    hash is checked against it;
//  - with `security.trustedOperations: enforce`, only registered documents run — named by id or sent as text whose
//    hash is registered — except for administrators, who register them (the `registerOperation` mutation).
import type { FastifyRequest } from 'fastify';
import type { ErrorName } from '../../core/errors.ts';
import { documentId, type DocumentStore } from '../../datasources/persisted/document-store.ts';

export interface TrustedDocumentsOptions {
  mode: 'off' | 'enforce';
  apq: boolean;
  store: DocumentStore;
  /** Whether the request's token is an administrator's (asked only in enforce mode, for unregistered text). */
  isAdmin(request: FastifyRequest): Promise<boolean>;
}

export interface Refusal {
  status: number;
  name: ErrorName;
  message: string;
}

export interface DocumentParams {
  query?: string;
  documentId?: unknown;
  extensions?: Record<string, unknown>;
}

const HEX = /^[0-9a-f]{64}$/;

/** The id a request names, '' when it names none, or null when what it names is malformed. */
function namedId(params: DocumentParams): string | null {
  const pq = params.extensions?.persistedQuery;
  if (pq !== undefined) {
    const { version, sha256Hash } = (pq ?? {}) as { version?: unknown; sha256Hash?: unknown };
    if (version !== 1 || typeof sha256Hash !== 'string' || !HEX.test(sha256Hash.toLowerCase())) return null;
    return sha256Hash.toLowerCase();
  }
  if (params.documentId === undefined || params.documentId === null) return '';
  if (typeof params.documentId !== 'string') return null;
  const id = params.documentId.replace(/^sha256:/, '').toLowerCase();
  return HEX.test(id) ? id : null;
}

/**
 * The document text to run, or why not. `extensions.persistedQuery` is taken out of the parameters handed on, so
 * neither runtime applies its own persisted-query rules on top.
 */
export async function resolveDocument(params: DocumentParams, options: TrustedDocumentsOptions, request: FastifyRequest): Promise<string | Refusal> {
  const id = namedId(params);
  if (params.extensions && 'persistedQuery' in params.extensions) {
    const { persistedQuery: _, ...rest } = params.extensions;
    // Absent, not undefined: Apollo refuses an `extensions` key whose value is not an object.
    if (Object.keys(rest).length) params.extensions = rest;
    else delete params.extensions;
  }
  if (id === null) {
    return {
      status: 400,
      name: 'MOSAIC_ERR_BAD_REQUEST',
      message: 'A persisted document is named by a SHA-256 hash in hex ("sha256:<64 hex digits>").',
    };
  }
  const text = params.query;
  if (id && text === undefined) {
    const stored = await options.store.get(id);
    if (stored !== null) return stored;
    return { status: 200, name: 'MOSAIC_ERR_PERSISTED_QUERY_NOT_FOUND', message: 'PersistedQueryNotFound' };
  }
  if (text === undefined)
    return { status: 400, name: 'MOSAIC_ERR_BAD_REQUEST', message: 'A GraphQL request needs a "query" string or a "documentId".' };
  if (id && documentId(text) !== id) {
    return { status: 400, name: 'MOSAIC_ERR_BAD_REQUEST', message: 'The persisted-query hash is not the SHA-256 of the query sent with it.' };
  }
  if (id && options.apq) {
    await options.store.put({ id, document: text, name: null, registeredBy: 'apq', registeredAt: new Date() });
    return text;
  }
  if (options.mode === 'enforce' && (await options.store.get(id || documentId(text))) === null && !(await options.isAdmin(request))) {
    return {
      status: 400,
      name: 'MOSAIC_ERR_UNTRUSTED_OPERATION',
      message: 'Only registered operations run here (security.trustedOperations: enforce); send a registered documentId.',
    };
  }
  return text;
}
