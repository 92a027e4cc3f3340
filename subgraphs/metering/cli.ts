// Seeds the metering store for a demo cloud and measures it:
//   tsx subgraphs/metering/cli.ts seed    [--size small] [--hours 24] [--database mosaic] [--fresh] [--measure]
//   tsx subgraphs/metering/cli.ts measure [--size small] [--database mosaic]
// Uses MONGODB_URI when set, otherwise starts a local FerretDB (subgraphs/ferretdb/local-mongo.ts, data under
// .data/ferretdb). `measure` (or seed --measure) times the bucket reads a reader makes — one `find` by bucket
// `_id`s for 100 instances over 60 minutes, one for 1 instance, one for every host's CPU (the per-zone CPU read)
// — and one live sample update, so the cost of the database is known before a benchmark leans on it. On FerretDB
// each `$in` read scans the collection: expect seconds to minutes on a 24-hour small or medium seed.
import { parseArgs } from 'node:util';
import { MongoClient } from 'mongodb';
import { buildCloud } from '../seed/build-cloud.ts';
import type { CloudSize } from '../seed/types.ts';
import { resolveMongo } from '../ferretdb/local-mongo.ts';
import {
  bucketId,
  hourStartMinute,
  METERING_COLLECTION,
  METERS,
  minuteOf,
  HOUR_MINUTES,
  type BucketDoc,
  type Meter,
  type MeteredKind,
} from './buckets.ts';
import { seedMetering } from './feeder.ts';
import { applySamples } from './rollup.ts';
import { samplesOf } from './samples.ts';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    size: { type: 'string', default: 'small' },
    hours: { type: 'string', default: '24' },
    database: { type: 'string', default: 'mosaic' },
    fresh: { type: 'boolean', default: false },
    measure: { type: 'boolean', default: false },
  },
});
const command = positionals[0];
if (command !== 'seed' && command !== 'measure') {
  console.error(
    'usage: tsx subgraphs/metering/cli.ts seed|measure [--size tiny|small|medium|large] [--hours 24] [--database mosaic] [--fresh] [--measure]',
  );
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
    if (values.fresh)
      await db
        .collection(METERING_COLLECTION)
        .drop()
        .catch(() => {});
    console.log(`seeding ${values.size} (${cloud.servers.length} instances, ${cloud.hosts.length} hosts) × ${values.hours} h into ${mongo.source} …`);
    const res = await seedMetering(db, cloud, { hours: Number(values.hours), now });
    // (No count from the server: FerretDB counts by scanning every document.)
    console.log(
      `seeded ${res.documents} buckets, ${res.samples} samples, ${res.minutes} minutes × ${res.resources} resources, ` +
        `in ${(res.ms / 1000).toFixed(1)} s (${Math.round(res.documents / (res.ms / 1000))} buckets/s)`,
    );
  }

  if (command === 'measure' || values.measure) {
    const col = db.collection<BucketDoc>(METERING_COLLECTION);
    // The hour buckets a window of the last 60 whole minutes before `now` touches: [end - 60, end).
    const end = minuteOf(now);
    const hours: number[] = [];
    for (let h = hourStartMinute(end - 60); h < end; h += HOUR_MINUTES) hours.push(h);
    const idsOf = (kind: MeteredKind, resources: string[], meters: readonly Meter[]) =>
      resources.flatMap((r) => meters.flatMap((m) => hours.map((h) => bucketId(kind, r, m, h))));
    /** One `find` by `_id`s; limit = batchSize = ids so the reply is one batch and the cursor closes. */
    const read = async (ids: string[]) => (await col.find({ _id: { $in: ids } }, { limit: ids.length, batchSize: ids.length }).toArray()).length;
    const time = async (label: string, fn: () => Promise<unknown>) => {
      roundTrips = 0;
      const t0 = performance.now();
      const result = await fn();
      const docs = typeof result === 'number' ? `, ${result} bucket(s)` : '';
      console.log(`${label}: ${(performance.now() - t0).toFixed(0)} ms, ${roundTrips} round trip(s)${docs}`);
    };
    const ids = cloud.servers.slice(0, 100).map((s) => s.id);
    await time(`buckets of ${ids.length} instances × 6 meters, 60 min`, () => read(idsOf('instance', ids, METERS)));
    await time('buckets of 1 instance × 6 meters, 60 min', () => read(idsOf('instance', ids.slice(0, 1), METERS)));
    const hostnames = cloud.hosts.map((h) => h.hostname);
    await time(`cpu_util buckets of ${hostnames.length} hosts (${cloud.zones.length} zones), 60 min`, () =>
      read(idsOf('host', hostnames, ['cpu_util'])),
    );
    const one = samplesOf('instance', ids[0], minuteOf(now)).filter((s) => s.meter === 'cpu_util' && s.index === 0);
    await time('applySamples(1 live sample)', () => applySamples(db, one));
  }
} finally {
  await client.close();
  await mongo.stop();
}
