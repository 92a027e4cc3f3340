// The demo's metering: a MongoDB to hold it (MONGODB_URI when set, otherwise a local FerretDB started on
// loopback, built with scripts/install-ferretdb.sh when Go is present) and the emulated cloud's samples written
// into it — the current 60-minute windows first (what dashboards read; a second or two), then 24 hours of history
// in the background (idempotent, so a restart does not duplicate it), then live minutes. When no database can be
// had it says why and returns null: the demo still runs and metric fields answer MOSAIC_ERR_METRICS_OFF.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { connectMetering, type MeteringHandle } from '../server/metering-connect.ts';
import { findFerretdb, resolveMongo } from '../subgraphs/ferretdb/local-mongo.ts';
import { meteredResources, seedMetering, startMeteringFeed } from '../subgraphs/metering/feeder.ts';
import { writeWindowSnapshots } from '../subgraphs/metering/window-snapshot.ts';
import { minuteOf } from '../subgraphs/metering/buckets.ts';
import type { Cloud } from '../subgraphs/seed/types.ts';

export interface DemoMeteringOptions {
  /** A MongoDB URI; without it a local FerretDB is started. */
  uri?: string;
  database: string;
  cloud: Cloud;
  /** How often the feed writes the current minute. */
  feedIntervalMs?: number;
  log: (line: string) => void;
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
async function isFerretDb(handle: MeteringHandle): Promise<boolean> {
  try {
    const info = await handle.client.db('admin').command({ buildInfo: 1 });
    return 'ferretdb' in info || JSON.stringify(info).toLowerCase().includes('ferretdb');
  } catch {
    return false;
  }
}

export async function startDemoMetering({ uri, database, cloud, feedIntervalMs = 30_000, log }: DemoMeteringOptions): Promise<MeteringHandle | null> {
  let stopLocal = async () => {};
  let resolvedUri = uri;
  if (!resolvedUri) {
    if (!findFerretdb() && hasGo()) await installFerretdb(log);
    const resolved = await resolveMongo();
    if ('unavailable' in resolved) {
      log(`Metrics are off: ${resolved.unavailable}`);
      return null;
    }
    resolvedUri = resolved.uri;
    stopLocal = resolved.stop;
    if (resolved.source === 'ferretdb') log(`Metering: local FerretDB at ${resolved.uri}`);
  }
  const handle = await connectMetering(resolvedUri, database, log);
  if (!handle) {
    await stopLocal();
    return null;
  }
  const db = handle.client.db(database);
  await writeWindowSnapshots(db, meteredResources(cloud), minuteOf(Date.now()));
  // FerretDB scans its collection for every conditional update, so against it the live feed writes only the
  // per-minute window snapshots.
  const ferret = await isFerretDb(handle);
  let stopping = false;
  void seedMetering(db, cloud, { hours: 24 })
    .then((seeded) =>
      log(`Metering: 24 h of history for ${seeded.resources} resources (${seeded.documents} buckets) in ${Math.round(seeded.ms / 1000)} s`),
    )
    .catch((err: Error) => stopping || log(`Metering history: ${err.message}`));
  const feed = startMeteringFeed(db, cloud, {
    intervalMs: feedIntervalMs,
    buckets: !ferret,
    onError: (err) => log(`Metering feed: ${(err as Error).message}`),
  });
  return {
    ...handle,
    async stop() {
      stopping = true;
      await feed.stop();
      await handle.stop();
      await stopLocal();
    },
  };
}
