// Connects the gateway to its metering database at start-up: the MongoDB (or anything wire-compatible) that
// mongodb.uri / MONGODB_URI names. When it cannot be reached the gateway still runs: it says why, and metric
// fields answer MOSAIC_ERR_METRICS_OFF. Starting a local database or writing metering data is the demo's business
// (demo/demo-metering.ts), never production start-up's.
import type { MongoClient } from 'mongodb';
import { createMeteringStore, type MeteringReader } from '../datasources/index.ts';

export interface MeteringHandle {
  reader: MeteringReader;
  uri: string;
  client: MongoClient;
  stop(): Promise<void>;
}

export async function connectMetering(uri: string, database: string, log: (line: string) => void = () => {}): Promise<MeteringHandle | null> {
  // Loaded here, only when mongodb.uri is set: the driver costs ~24 MB of resting RSS (bench/README.md).
  const { MongoClient } = await import('mongodb');
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5_000 });
  try {
    await client.connect();
  } catch (err) {
    log(`Metrics are off: cannot reach MongoDB (${(err as Error).message}); check MONGODB_URI.`);
    return null;
  }
  const store = createMeteringStore(client.db(database), { client });
  return { reader: store, uri, client, stop: () => store.close() };
}
