// `mosaic operations register FILE…`: the build step of trusted documents. Reads what a client build produced and
// writes it to the registry in MongoDB (mongodb.uri), each document under the SHA-256 of its exact text:
//  - Apollo's persisted query manifest (`{"format": "apollo-persisted-query-manifest", "operations": [{id, name, body}]}`,
//    https://www.apollographql.com/docs/graphos/platform/security/persisted-queries#manifest-format),
//  - graphql-codegen's client-preset `persisted-documents.json` (`{"<sha256>": "<document>"}`),
//  - `.graphql` files, each file one document (its text as clients send it).
// An id that is not the hash of its text is refused: the gateway looks documents up by that hash.
import fs from 'node:fs';
import type { MosaicConfig } from '../core/config.ts';
import { documentId, MongoDocumentStore } from '../datasources/persisted/document-store.ts';

export interface Registration {
  id: string;
  name: string | null;
  document: string;
}

/** The documents one file holds, or an error naming the file. */
export function readOperations(file: string): Registration[] {
  const text = fs.readFileSync(file, 'utf8');
  if (!file.endsWith('.json'))
    return [{ id: documentId(text), name: /\b(?:query|mutation|subscription)\s+(\w+)/.exec(text)?.[1] ?? null, document: text }];
  const json = JSON.parse(text) as unknown;
  const entries: { id: string; name: string | null; document: unknown }[] =
    json && typeof json === 'object' && Array.isArray((json as { operations?: unknown }).operations)
      ? (json as { operations: { id: string; name?: string; body: unknown }[] }).operations.map((o) => ({
          id: o.id,
          name: o.name ?? null,
          document: o.body,
        }))
      : Object.entries(json as Record<string, unknown>).map(([id, document]) => ({ id, name: null, document }));
  return entries.map(({ id, name, document }) => {
    if (typeof document !== 'string') throw new Error(`${file}: operation ${id} has no document text`);
    if (
      documentId(document) !==
      String(id)
        .replace(/^sha256:/, '')
        .toLowerCase()
    ) {
      throw new Error(`${file}: operation ${id} is not the SHA-256 of its text (the gateway looks documents up by that hash)`);
    }
    return { id: documentId(document), name, document };
  });
}

/** Registers every document of `files`; returns how many were new. */
export async function registerOperations(config: MosaicConfig, files: string[], log: (line: string) => void): Promise<number> {
  if (!config.mongodb.uri) throw new Error('mosaic operations register: set mongodb.uri (or MONGODB_URI): the registry lives in MongoDB');
  const operations = files.flatMap(readOperations);
  // Imported here, not at the top: server/cli.ts loads this module for `mosaic serve` too (~24 MB of RSS).
  const { MongoClient } = await import('mongodb');
  const client = new MongoClient(config.mongodb.uri, { serverSelectionTimeoutMS: 5_000 });
  try {
    const store = new MongoDocumentStore(client.db(config.mongodb.database), config.mongodb.timeoutMs);
    let created = 0;
    for (const op of operations) {
      if (await store.put({ ...op, registeredBy: 'build', registeredAt: new Date() })) created++;
      log(`sha256:${op.id}  ${op.name ?? '(anonymous)'}`);
    }
    log(`${operations.length} operations, ${created} new`);
    return created;
  } finally {
    await client.close();
  }
}
