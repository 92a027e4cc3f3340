// Seeds the metering store for a demo cloud and measures it:
//   tsx subgraphs/metering/cli.ts seed    [--size small] [--hours 24] [--database mosaic] [--fresh] [--measure]
//   tsx subgraphs/metering/cli.ts measure [--size small] [--database mosaic]
// Uses MONGODB_URI when set, otherwise starts a local FerretDB (server/local-mongo.ts, data under .data/ferretdb).
// `measure` (or seed --measure) times the reads the gateway makes (100 instances over 60 minutes, CPU per zone)
// and one live sample update, so the cost of the database is known before a benchmark leans on it. On FerretDB
// each of them scans the collection: expect seconds to minutes on a 24-hour small or medium seed.
import { parseArgs } from 'node:util';
import { MongoClient } from 'mongodb';
import { buildCloud } from '../seed/build-cloud.ts';
import type { CloudSize } from '../seed/types.ts';
import { resolveMongo } from '../../server/local-mongo.ts';
import { createMeteringStore } from '../../datasources/metering.ts';
import { METERING_COLLECTION, minuteOf } from './buckets.ts';
import { seedMetering } from './feeder.ts';
import { applySamples } from './rollup.ts';
import { samplesOf } from './samples.ts';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    size: { type: 'string', default: 'small' }, hours: { type: 'string', default: '24' },
    database: { type: 'string', default: 'mosaic' }, fresh: { type: 'boolean', default: false },
    measure: { type: 'boolean', default: false },
  },
});
const command = positionals[0];
if (command !== 'seed' && command !== 'measure') {
  console.error('usage: tsx subgraphs/metering/cli.ts seed|measure [--size tiny|small|medium|large] [--hours 24] [--database mosaic] [--fresh] [--measure]');
  process.exit(2);
}

const mongo = await resolveMongo();
if ('unavailable' in mongo) {
  console.error(mongo.unavailable);
  process.exit(1);
}
const client = new MongoClient(mongo.uri, { monitorCommands: true });
let roundTrips = 0;
client.on('commandStarted', () => roundTrips++);
try {
  const db = client.db(values.database);
  const cloud = buildCloud({ size: values.size as CloudSize });
  const now = Date.now();
  if (command === 'seed') {
    if (values.fresh) await db.collection(METERING_COLLECTION).drop().catch(() => {});
    console.log(`seeding ${values.size} (${cloud.servers.length} instances, ${cloud.hosts.length} hosts) × ${values.hours} h into ${mongo.source} …`);
    const res = await seedMetering(db, cloud, { hours: Number(values.hours), now });
    // (No count from the server: FerretDB counts by scanning every document.)
    console.log(`seeded ${res.documents} buckets, ${res.samples} samples, ${res.minutes} minutes × ${res.resources} resources, ` +
      `in ${(res.ms / 1000).toFixed(1)} s (${Math.round(res.documents / (res.ms / 1000))} buckets/s)`);
  }

  if (command === 'measure' || values.measure) {
    const store = createMeteringStore(db);
    const time = async (label: string, fn: () => Promise<unknown>) => {
      roundTrips = 0;
      const t0 = performance.now();
      await fn();
      console.log(`${label}: ${(performance.now() - t0).toFixed(0)} ms, ${roundTrips} round trip(s)`);
    };
    const ids = cloud.servers.slice(0, 100).map((s) => s.id);
    await time('resourceMetrics(100 instances, 60 min)', () => store.resourceMetrics('instance', ids, 60, now));
    await time('resourceMetrics(1 instance, 60 min)', () => store.resourceMetrics('instance', ids.slice(0, 1), 60, now));
    const byZone = Object.fromEntries(cloud.zones.map((z) => [z.name, cloud.hosts.filter((h) => h.zoneId === z.id).map((h) => h.hostname)]));
    await time(`zoneCpuUtil(${cloud.zones.length} zones, ${cloud.hosts.length} hosts, 60 min)`, () => store.zoneCpuUtil(byZone, 60, now));
    const one = samplesOf('instance', ids[0], minuteOf(now)).filter((s) => s.meter === 'cpu_util' && s.index === 0);
    await time('applySamples(1 live sample)', () => applySamples(db, one));
  }
} finally {
  await client.close();
  await mongo.stop();
}
