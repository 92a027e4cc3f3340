// `registerOperation`: an administrator adds a document to the registry of trusted operations (DESIGN.md
// "Production": persisted documents live in MongoDB). The document must be valid against this schema, so the
// registry never holds an operation that cannot run; it is stored under the SHA-256 of its exact text, the id
// clients then send (`documentId: "sha256:<hex>"`).
import { Kind, parse, validate, type GraphQLSchema } from 'graphql';
import { MosaicError } from '../core/errors.ts';
import type { Caller } from '../core/caller.ts';
import { documentId, type DocumentStore } from '../datasources/persisted/document-store.ts';
import { requireAdmin } from './authorize.ts';

export async function registerOperation(schema: GraphQLSchema, store: DocumentStore, caller: Caller, document: string) {
  requireAdmin(caller, 'Registering operations');
  let parsed;
  try {
    parsed = parse(document);
  } catch (err) {
    throw new MosaicError('MOSAIC_ERR_BAD_ARGUMENT', `document: ${(err as Error).message}`);
  }
  const errors = validate(schema, parsed);
  if (errors.length) throw new MosaicError('MOSAIC_ERR_BAD_ARGUMENT', `document: ${errors[0].message}`);
  const first = parsed.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
  const name = first?.kind === Kind.OPERATION_DEFINITION ? (first.name?.value ?? null) : null;
  const id = documentId(document);
  const created = await store.put({ id, document, name, registeredBy: caller.userName, registeredAt: new Date() });
  return { documentId: `sha256:${id}`, name, created };
}
