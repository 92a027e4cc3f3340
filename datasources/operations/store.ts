// Operations and the audit log in MongoDB (DESIGN.md "Production": operations and audit live there).
//
// `operations`: one document per operation, `_id` an ObjectId (so newest-first paging is an `_id` range), a
// unique index on (projectId, idempotencyKey): the same key inserted twice — by two concurrent requests, two
// replicas, or a client retrying after a gateway restart — fails the second insert with E11000, and that request
// reads the winner back instead of calling the upstream. State changes are conditional on the operation not being
// final, so two trackers (replicas) racing cannot overwrite a final state.
// `audit`: append-only (insertOne only; nothing here updates or deletes it), newest first by `_id`.
// Only operators FerretDB 1.x supports are used: $set, $inc, $in, $lt, unique indexes; no aggregation.
import { createRequire } from 'node:module';
import type { Collection, Db, Filter, ObjectId } from 'mongodb';
import { FINAL, type AuditEntry, type OperationRecord, type OperationStatus } from './types.ts';

type OperationDoc = Omit<OperationRecord, 'id'> & { _id: ObjectId };
type AuditDoc = Omit<AuditEntry, 'id'> & { _id: ObjectId };

// The driver is loaded on first use, not at import: resolvers import this module, and the driver costs ~24 MB of
// resting RSS (17 MB of it a BSON buffer allocated at load) in a gateway that has no MongoDB configured.
const requireModule = createRequire(import.meta.url);
const mongodb = () => requireModule('mongodb') as typeof import('mongodb');

const fromDoc = ({ _id, ...rest }: OperationDoc): OperationRecord => ({ id: _id.toHexString(), ...rest });
const UNFINISHED: OperationStatus[] = ['PENDING', 'RUNNING'];

export const isDuplicateKey = (err: unknown): boolean => err instanceof mongodb().MongoServerError && err.code === 11000;

const OBJECT_ID_HEX = /^[0-9a-f]{24}$/i;
const objectId = (id: string): ObjectId | null => (OBJECT_ID_HEX.test(id) ? new (mongodb().ObjectId)(id) : null);
const newObjectId = (id?: string): ObjectId => new (mongodb().ObjectId)(id);

export interface OperationFilter {
  projectId?: string;
  status?: OperationStatus[];
  kind?: string[];
}

export class OperationStore {
  readonly operations: Collection<OperationDoc>;
  readonly audit: Collection<AuditDoc>;
  private indexes: Promise<unknown> | null = null;

  constructor(
    db: Db,
    private readonly timeoutMs: number,
  ) {
    this.operations = db.collection<OperationDoc>('operations');
    this.audit = db.collection<AuditDoc>('audit');
  }

  /** Creates the indexes once (idempotent in MongoDB); a failure is retried on the next call. */
  ensureIndexes(): Promise<unknown> {
    this.indexes ??= Promise.all([
      this.operations.createIndex({ projectId: 1, idempotencyKey: 1 }, { unique: true, name: 'project_key_unique' }),
      this.operations.createIndex({ status: 1 }, { name: 'status' }),
    ]).catch((err) => {
      this.indexes = null;
      throw err;
    });
    return this.indexes;
  }

  /** Inserts a new operation; null when its (project, key) is taken (E11000). */
  async insert(record: Omit<OperationRecord, 'id'>): Promise<OperationRecord | null> {
    await this.ensureIndexes();
    const doc: OperationDoc = { _id: newObjectId(), ...record };
    try {
      await this.operations.insertOne(doc, { maxTimeMS: this.timeoutMs });
    } catch (err) {
      if (isDuplicateKey(err)) return null;
      throw err;
    }
    return fromDoc(doc);
  }

  async get(id: string): Promise<OperationRecord | null> {
    const _id = objectId(id);
    if (!_id) return null;
    const doc = await this.operations.findOne({ _id }, { maxTimeMS: this.timeoutMs });
    return doc ? fromDoc(doc) : null;
  }

  async byKey(projectId: string, idempotencyKey: string): Promise<OperationRecord | null> {
    const doc = await this.operations.findOne({ projectId, idempotencyKey }, { maxTimeMS: this.timeoutMs });
    return doc ? fromDoc(doc) : null;
  }

  /** Sets fields unless the operation is already final; the record after the change, or null when it was final. */
  async update(id: string, set: Partial<Omit<OperationRecord, 'id'>>): Promise<OperationRecord | null> {
    const _id = newObjectId(id);
    const res = await this.operations.updateOne(
      { _id, status: { $in: UNFINISHED } },
      { $set: { ...set, updatedAt: new Date() }, $inc: { checks: 1 } },
      { maxTimeMS: this.timeoutMs },
    );
    return res.matchedCount === 0 ? null : this.get(id);
  }

  /** Every operation not finished (for the tracker at start-up). */
  async unfinished(): Promise<OperationRecord[]> {
    const docs = await this.operations.find({ status: { $in: UNFINISHED } }, { maxTimeMS: this.timeoutMs }).toArray();
    return docs.map(fromDoc);
  }

  /** Newest first; `after` is the id of the last operation of the previous page. */
  async list(filter: OperationFilter, first: number, after: string | null): Promise<{ items: OperationRecord[]; hasNext: boolean }> {
    const query: Filter<OperationDoc> = {};
    if (filter.projectId) query.projectId = filter.projectId;
    if (filter.status?.length) query.status = { $in: filter.status };
    if (filter.kind?.length) query.kind = { $in: filter.kind as OperationRecord['kind'][] };
    if (after) query._id = { $lt: newObjectId(after) };
    const docs = await this.operations
      .find(query, { maxTimeMS: this.timeoutMs })
      .sort({ _id: -1 })
      .limit(first + 1)
      .toArray();
    return { items: docs.slice(0, first).map(fromDoc), hasNext: docs.length > first };
  }

  async appendAudit(entry: Omit<AuditEntry, 'id'>): Promise<void> {
    await this.audit.insertOne({ _id: newObjectId(), ...entry }, { maxTimeMS: this.timeoutMs });
  }

  async listAudit(first: number, after: string | null): Promise<{ items: AuditEntry[]; hasNext: boolean }> {
    const query: Filter<AuditDoc> = after ? { _id: { $lt: newObjectId(after) } } : {};
    const docs = await this.audit
      .find(query, { maxTimeMS: this.timeoutMs })
      .sort({ _id: -1 })
      .limit(first + 1)
      .toArray();
    return { items: docs.slice(0, first).map(({ _id, ...rest }) => ({ id: _id.toHexString(), ...rest })), hasNext: docs.length > first };
  }
}

export const isFinal = (record: OperationRecord): boolean => FINAL.has(record.status);
// Every 24-hex-digit string is a valid ObjectId: answered without the driver (resolvers ask with no MongoDB configured).
export const isObjectIdHex = (id: string): boolean => OBJECT_ID_HEX.test(id);
