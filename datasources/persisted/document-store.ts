// Persisted operations (trusted documents): GraphQL documents registered ahead of time — by a build step
// (`mosaic operations register`), by an administrator (the `registerOperation` mutation), or, in development, by
// any client through automatic persisted queries — and looked up by the SHA-256 of their text. In MongoDB
// (collection `persisted_operations`, `_id` = the hex hash, so a document is stored once however often it is
// registered and replicas share one registry), or in this process when no MongoDB is configured. Documents are
// immutable under their hash, so lookups are cached here without expiry (bounded).
import { createHash } from 'node:crypto';
import type { Collection, Db } from 'mongodb';

export interface PersistedOperation {
  /** Lower-case hex SHA-256 of the document text. */
  id: string;
  document: string;
  /** The operation's name, when it has one. */
  name: string | null;
  /** Who registered it: `build`, `apq`, or the administrator's user name. */
  registeredBy: string;
  registeredAt: Date;
}

export const documentId = (document: string): string => createHash('sha256').update(document).digest('hex');

export interface DocumentStore {
  get(id: string): Promise<string | null>;
  /** Stores `operation` unless its id is already there; true when it was new. */
  put(operation: PersistedOperation): Promise<boolean>;
  list(limit: number): Promise<PersistedOperation[]>;
}

/** A bounded map of id → document in front of a store (documents never change under their id). */
class DocumentCache {
  private readonly documents = new Map<string, string>();
  constructor(private readonly max = 10_000) {}
  get(id: string) {
    return this.documents.get(id);
  }
  set(id: string, document: string) {
    if (this.documents.size >= this.max) this.documents.delete(this.documents.keys().next().value!);
    this.documents.set(id, document);
  }
}

export class MemoryDocumentStore implements DocumentStore {
  private readonly operations = new Map<string, PersistedOperation>();
  constructor(private readonly max = 10_000) {}
  async get(id: string) {
    return this.operations.get(id)?.document ?? null;
  }
  async put(operation: PersistedOperation) {
    if (this.operations.has(operation.id)) return false;
    if (this.operations.size >= this.max) this.operations.delete(this.operations.keys().next().value!);
    this.operations.set(operation.id, operation);
    return true;
  }
  async list(limit: number) {
    return [...this.operations.values()].slice(0, limit);
  }
}

interface OperationDoc {
  _id: string;
  document: string;
  name: string | null;
  registeredBy: string;
  registeredAt: Date;
}

export class MongoDocumentStore implements DocumentStore {
  private readonly collection: Collection<OperationDoc>;
  private readonly cache = new DocumentCache();

  constructor(
    db: Db,
    private readonly timeoutMs: number,
  ) {
    this.collection = db.collection<OperationDoc>('persisted_operations');
  }

  async get(id: string) {
    const cached = this.cache.get(id);
    if (cached !== undefined) return cached;
    const found = await this.collection.findOne({ _id: id }, { projection: { document: 1 }, maxTimeMS: this.timeoutMs });
    if (found) this.cache.set(id, found.document);
    return found?.document ?? null;
  }

  async put({ id, document, name, registeredBy, registeredAt }: PersistedOperation) {
    // The hash is the key: a second registration of the same text changes nothing (upsert with $setOnInsert).
    const result = await this.collection.updateOne({ _id: id }, { $setOnInsert: { document, name, registeredBy, registeredAt } }, {
      upsert: true,
      maxTimeMS: this.timeoutMs,
    } as never);
    this.cache.set(id, document);
    return result.upsertedCount === 1;
  }

  async list(limit: number) {
    const docs = await this.collection.find({}, { sort: { registeredAt: 1 }, limit, maxTimeMS: this.timeoutMs }).toArray();
    return docs.map(({ _id, ...rest }) => ({ id: _id, ...rest }));
  }
}
