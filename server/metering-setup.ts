// Connects Mosaic to its metering database at start-up: MONGODB_URI (or mongodb.uri) when set — a real MongoDB
// or anything compatible — otherwise a local FerretDB started on loopback. For the demo it also seeds 24 hours of
// deterministic samples for the emulated cloud and keeps feeding new minutes. When no database can be had, it
// says why and returns null: the gateway still runs and metric fields answer MOSAIC_ERR_METRICS_OFF.
import { MongoClient } from 'mongodb';
import type { MeteringReader } from '../datasources/metering-reader.ts';
import { createMeteringStore } from '../datasources/metering.ts';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { findFerretdb, resolveMongo } from './local-mongo.ts';
import type { Cloud } from '../subgraphs/seed/types.ts';

export interface MeteringHandle { reader: MeteringReader; uri: string; stop(): Promise<void> }

export interface MeteringOptions {
  /** A MongoDB URI; without it a local FerretDB is started. */
  uri?: string;
  database: string;
  /** The emulated cloud to seed and feed (demo only). */
  cloud?: Cloud;
  /** How often the demo feed writes the current minute. */
  feedIntervalMs?: number;
  log?: (line: string) => void;
  /** Build FerretDB with scripts/install-ferretdb.sh when it is missing and Go is present (the demo does). */
  install?: boolean;
}

/** Runs scripts/install-ferretdb.sh (it builds FerretDB with Go, about a minute the first time). */
function installFerretdb(log: (line: string) => void): Promise<boolean> {
  const script = fileURLToPath(new URL('../scripts/install-ferretdb.sh', import.meta.url));
  log('Metering: FerretDB is not installed; building it with Go (about a minute, once)…');
  return new Promise((resolve) => {
    const child = spawn('bash', [script], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', () => resolve(false));
    child.on('exit', (code) => {
      if (code !== 0) log(`Metering: FerretDB could not be installed: ${stderr.trim().split('\n').pop() ?? `exit ${code}`}`);
      resolve(code === 0);
    });
  });
}

const hasGo = () => spawnSync('go', ['version'], { stdio: 'ignore' }).status === 0;

/** FerretDB answers buildInfo with a `ferretdb` section. */
async function isFerretDb(client: MongoClient): Promise<boolean> {
  try {
    const info = await client.db('admin').command({ buildInfo: 1 });
    return 'ferretdb' in info || JSON.stringify(info).toLowerCase().includes('ferretdb');
  } catch {
    return false;
  }
}

export async function startMetering({ uri, database, cloud, feedIntervalMs = 30_000, log = () => {}, install = false }: MeteringOptions): Promise<MeteringHandle | null> {
  let stopLocal = async () => {};
  let resolvedUri = uri;
  if (!resolvedUri) {
    if (install && !findFerretdb() && hasGo()) await installFerretdb(log);
    const resolved = await resolveMongo();
    if ('unavailable' in resolved) {
      log(`Metrics are off: ${resolved.unavailable}`);
      return null;
    }
    resolvedUri = resolved.uri;
    stopLocal = resolved.stop;
    if (resolved.source === 'ferretdb') log(`Metering: local FerretDB at ${resolved.uri}`);
  }
  const client = new MongoClient(resolvedUri, { serverSelectionTimeoutMS: 5_000 });
  try {
    await client.connect();
  } catch (err) {
    await stopLocal();
    log(`Metrics are off: cannot reach MongoDB (${(err as Error).message}); check MONGODB_URI.`);
    return null;
  }
  const db = client.db(database);
  let stopFeed = async () => {};
  if (cloud) {
    // The demo's metering. The current window first (what dashboards read; a second or two), so metrics answer
    // at once; then 24 hours of history in the background (idempotent, so a restart does not duplicate it);
    // then live minutes. FerretDB scans its collection for every conditional update, so against it the live
    // feed writes only the per-minute window snapshots.
    const { seedMetering, startMeteringFeed, meteredResources } = await import('../subgraphs/metering/feeder.ts');
    const { writeWindowSnapshots } = await import('../subgraphs/metering/window-snapshot.ts');
    const { minuteOf } = await import('../subgraphs/metering/buckets.ts');
    await writeWindowSnapshots(db, meteredResources(cloud), minuteOf(Date.now()));
    const ferret = await isFerretDb(client);
    let stopping = false;
    void seedMetering(db, cloud, { hours: 24 })
      .then((seeded) => log(`Metering: 24 h of history for ${seeded.resources} resources (${seeded.documents} buckets) in ${Math.round(seeded.ms / 1000)} s`))
      .catch((err: Error) => stopping || log(`Metering history: ${err.message}`));
    const feed = startMeteringFeed(db, cloud, { intervalMs: feedIntervalMs, buckets: !ferret, onError: (err) => log(`Metering feed: ${(err as Error).message}`) });
    stopFeed = async () => {
      stopping = true;
      await feed.stop();
    };
  }
  const store = createMeteringStore(db, { client });
  return {
    reader: store,
    uri: resolvedUri,
    async stop() {
      await stopFeed();
      await store.close();
      await stopLocal();
    },
  };
}
