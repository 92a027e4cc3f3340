// The emulated cloud, in its own process for the benchmark: all six upstreams on free loopback ports with a
// fixed latency on every response. Prints one JSON line on stdout ({urls, keystoneUrl, legacyUrl, legacyApiKey})
// for the parent, then serves until SIGTERM or until its stdin closes (the parent went away).
//
//   tsx bench/cloud-process.ts --size small --latency 5
import { parseArgs } from 'node:util';
import { startDemoCloud, SERVICE_NAMES, type ServiceName } from '../subgraphs/demo-cloud.ts';
import type { CloudSize } from '../subgraphs/seed/types.ts';
import { MongoClient } from 'mongodb';
import { resolveMongo } from '../subgraphs/ferretdb/local-mongo.ts';
import { meteredResources, startMeteringFeed } from '../subgraphs/metering/feeder.ts';
import { writeWindowSnapshots } from '../subgraphs/metering/window-snapshot.ts';
import { minuteOf } from '../subgraphs/metering/buckets.ts';

export interface CloudInfo {
  urls: Record<ServiceName, string>;
  keystoneUrl: string;
  legacyUrl: string;
  legacyApiKey: string;
  /** The metering database (MONGODB_URI, or a FerretDB this process started); null when there is none. */
  mongoUri: string | null;
  mongoDatabase: string;
  /** Why there is no metering database. */
  mongoUnavailable?: string;
}

const { values } = parseArgs({ options: { size: { type: 'string', default: 'small' }, latency: { type: 'string', default: '5' } } });
const ports = Object.fromEntries(SERVICE_NAMES.map((n) => [n, 0])) as Record<ServiceName, number>;
const cloud = await startDemoCloud({ size: values.size as CloudSize, latencyMs: Number(values.latency), ports });
// Metering: the workloads read the 60-minute windows (dashboard cpuUtilAvg, instance-detail metrics), so this
// process writes those for every resource and refreshes them every minute; the hour-bucket history is not
// needed by any workload and is not seeded (it takes minutes on FerretDB).
const mongoDatabase = `bench_${values.size}_${process.pid}`;
const mongo = await resolveMongo({ dataDir: `${process.cwd()}/.data/bench-ferretdb-${process.pid}` });
let stopMetering = async () => {};
if (!('unavailable' in mongo)) {
  const client = new MongoClient(mongo.uri);
  await client.connect();
  const db = client.db(mongoDatabase);
  await writeWindowSnapshots(db, meteredResources(cloud.cloud), minuteOf(Date.now()));
  const feed = startMeteringFeed(db, cloud.cloud, { intervalMs: 15_000, buckets: false });
  stopMetering = async () => {
    await feed.stop();
    await db.dropDatabase().catch(() => undefined);
    await client.close();
    await mongo.stop();
  };
}
const info: CloudInfo = {
  urls: cloud.urls,
  keystoneUrl: cloud.keystoneUrl,
  legacyUrl: cloud.legacyUrl,
  legacyApiKey: cloud.legacyApiKey,
  mongoUri: 'unavailable' in mongo ? null : mongo.uri,
  mongoDatabase,
  ...('unavailable' in mongo ? { mongoUnavailable: mongo.unavailable } : {}),
};
process.stdout.write(`${JSON.stringify(info)}\n`);

let closing = false;
const shutdown = async () => {
  if (closing) return;
  closing = true;
  await stopMetering().catch(() => undefined);
  await cloud.close().catch(() => undefined);
  process.exit(0);
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
process.stdin.on('end', shutdown);
process.stdin.resume();
