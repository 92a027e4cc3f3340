// The tests' MongoDB (started by test/global-setup.ts): the URI or the reason there is none, and a fresh
// database per suite with a client that records every command it sends (command monitoring), so suites can
// count database round trips.
import { inject } from 'vitest';
import { MongoClient, type CommandStartedEvent, type Db } from 'mongodb';

export const mongoUri: string | null = inject('mongoUri');
/** Why MongoDB-backed suites skip; null when they run. Pass to describe.skipIf. */
export const mongoSkipReason: string | null = mongoUri ? null : (inject('mongoUnavailable') ?? 'no MongoDB');
if (mongoSkipReason) console.warn(`[skipped: needs MongoDB] ${mongoSkipReason}`);

export interface TestDb {
  client: MongoClient;
  db: Db;
  /** Every command sent since the last reset(), by name (handshakes and heartbeats are not commands). */
  commands: CommandStartedEvent[];
  reset(): void;
  /** A second database on the same client (e.g. to compare two ways of writing). */
  sibling(suffix: string): Db;
  /** Drops the databases this suite made and closes the client. */
  close(): Promise<void>;
}

let counter = 0;
export async function openTestDb(suite: string): Promise<TestDb> {
  if (!mongoUri) throw new Error('no MongoDB for this suite');
  const client = new MongoClient(mongoUri, { monitorCommands: true });
  await client.connect();
  const base = `t_${suite}_${process.pid}_${Date.now().toString(36)}_${counter++}`.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 50);
  const made = [base];
  const commands: CommandStartedEvent[] = [];
  client.on('commandStarted', (e) => commands.push(e));
  return {
    client,
    db: client.db(base),
    commands,
    reset: () => {
      commands.length = 0;
    },
    sibling: (suffix) => {
      made.push(`${base}_${suffix}`);
      return client.db(`${base}_${suffix}`);
    },
    async close() {
      for (const name of made)
        await client
          .db(name)
          .dropDatabase()
          .catch(() => {});
      await client.close();
    },
  };
}
