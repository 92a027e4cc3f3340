// Metering against a real MongoDB-compatible server (FerretDB from test/global-setup.ts, or MONGODB_URI): the
// live rollup upserts are idempotent per sample and agree with the bulk seed, reads equal what the generated
// samples say, a batched read costs one database round trip, and the local-server plumbing behaves. Without a
// database: the writer's copy of the windows contract (subgraphs/metering/windows.ts) agrees with the reader's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { buildCloud } from '../subgraphs/seed/build-cloud.ts';
import type { Cloud } from '../subgraphs/seed/types.ts';
import { METERING_COLLECTION, METERS, minuteOf, type Meter, type MeteredKind } from '../subgraphs/metering/buckets.ts';
import { applySamples } from '../subgraphs/metering/rollup.ts';
import { samplesPerMinute, sampleValue, samplesOf } from '../subgraphs/metering/samples.ts';
import { meteredResources, samplesBetween, seedMetering, startMeteringFeed, type MeteredResource } from '../subgraphs/metering/feeder.ts';
import { createMeteringStore } from '../datasources/metering/store.ts';
import { SNAPSHOT_MINUTES } from '../datasources/metering/windows.ts';
import * as readerWindows from '../datasources/metering/windows.ts';
import * as writerWindows from '../subgraphs/metering/windows.ts';
import { writeWindowSnapshots } from '../subgraphs/metering/window-snapshot.ts';
import { DEFAULT_DATA_DIR, findFerretdb, resolveMongo, startLocalMongo } from '../subgraphs/ferretdb/local-mongo.ts';
import { mongoSkipReason, openTestDb, type TestDb } from './helpers/mongo.ts';

// 10:37:20 UTC: windows of 60 minutes and more cross hour boundaries, and the minute in progress is 10:37.
const NOW = Date.UTC(2026, 0, 15, 10, 37, 20);
const small = buildCloud({ size: 'small' });

/** Deep copy with object keys sorted: MongoDB keeps insertion order, FerretDB sorts; values are what count. */
function normalise(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalise);
  if (v instanceof Date) return v.toISOString();
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, normalise((v as Record<string, unknown>)[k])]),
    );
  return v;
}

/** What a window should say, straight from the sample generator (no database). */
function expected(kind: MeteredKind, id: string, lastMinutes: number, now: number, fromMinute: number) {
  const end = minuteOf(now);
  const stat = (meter: Meter) => {
    let s = 0,
      c = 0,
      mx = -Infinity,
      minutes = 0;
    for (let minute = Math.max(end - lastMinutes, fromMinute); minute < end; minute++) {
      const count = samplesPerMinute(id, minute);
      minutes++;
      for (let i = 0; i < count; i++) {
        const v = sampleValue(kind, id, meter, minute, i);
        s += v;
        c++;
        mx = Math.max(mx, v);
      }
    }
    return { avg: s / c, max: mx, total: s, minutes };
  };
  const [cpu, mem, rx, tx, rd, wr] = METERS.map(stat);
  return {
    lastMinutes,
    minutesWithData: cpu.minutes,
    cpuUtilAvg: cpu.avg,
    cpuUtilMax: cpu.max,
    memUsedMbAvg: mem.avg,
    memUsedMbMax: mem.max,
    netRxBytes: rx.total,
    netTxBytes: tx.total,
    diskReadIops: rd.avg,
    diskWriteIops: wr.avg,
  };
}

async function bucketsOf(t: TestDb['db']) {
  return normalise(await t.collection(METERING_COLLECTION).find({}).sort({ _id: 1 }).toArray());
}

describe.skipIf(mongoSkipReason !== null)('metering rollups (live upserts)', () => {
  let t: TestDb;
  const instance = small.servers[0].id;
  const host = small.hosts[0].hostname;
  beforeAll(async () => {
    t = await openTestDb('rollup');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('replaying samples leaves every bucket as it was', async () => {
    const minute = minuteOf(NOW) - 1;
    const samples = [...samplesOf('instance', instance, minute), ...samplesOf('host', host, minute)];
    const first = await applySamples(t.db, samples);
    expect(first).toMatchObject({ applied: samples.length, ignored: 0 });
    const before = await bucketsOf(t.db);

    const replay = await applySamples(t.db, samples);
    expect(replay).toMatchObject({ applied: 0, ignored: samples.length });
    // One sample alone, from the middle of the minute, replayed again.
    const again = await applySamples(t.db, [samples[1]]);
    expect(again).toMatchObject({ applied: 0, ignored: 1 });
    expect(await bucketsOf(t.db)).toEqual(before);

    const doc = await t.db.collection(METERING_COLLECTION).findOne({ _id: `i|${instance}|cpu_util|2026-01-15T10` as never });
    const count = samplesPerMinute(instance, minute);
    const values = Array.from({ length: count }, (_, i) => sampleValue('instance', instance, 'cpu_util', minute, i));
    expect(doc?.sl['36']).toEqual({ s: values.reduce((a, b) => a + b, 0), c: count, mn: Math.min(...values), mx: Math.max(...values) });
    expect(doc).toMatchObject({ k: 'instance', r: instance, m: 'cpu_util', c: count, n: 1 });
  });

  it('ignores a sample that skips ahead of its minute, and takes it once its turn comes', async () => {
    const minute = minuteOf(NOW) - 2;
    const all = samplesOf('host', host, minute).filter((s) => s.meter === 'mem_used_mb');
    expect(await applySamples(t.db, [all[1]])).toMatchObject({ applied: 0, ignored: 1 });
    expect(await applySamples(t.db, all)).toMatchObject({ applied: all.length, ignored: 0 });
    const doc = await t.db.collection(METERING_COLLECTION).findOne({ _id: `h|${host}|mem_used_mb|2026-01-15T10` as never });
    expect(doc?.sl['35'].c).toBe(all.length);
  });

  it('live upserts and the bulk seed build identical buckets', async () => {
    // 09:59 … 11:00: one minute of hour 9, the whole of hour 10, one minute of hour 11. Two meters keep the
    // live path's ~400 updates quick on FerretDB, where every update scans the collection.
    const resources: MeteredResource[] = [{ kind: 'instance', id: small.servers[1].id }];
    const now = Date.UTC(2026, 0, 15, 11, 1, 0);
    const meters = new Set<Meter>(['cpu_util', 'net_rx_bytes']);
    const live = t.sibling('live');
    const seeded = t.sibling('seed');
    const samples = samplesBetween(resources, now - 62 * 60_000 - 1, now - 1).filter((x) => meters.has(x.meter));
    expect(await applySamples(live, samples)).toMatchObject({ applied: samples.length, ignored: 0 });
    await seedMetering(seeded, small, { hours: 62 / 60, now, resources });
    const a = await bucketsOf(live);
    expect(a).toHaveLength(meters.size * 3);
    const b = (await bucketsOf(seeded)) as { m: Meter }[];
    expect(b.filter((d) => meters.has(d.m))).toEqual(a);
  });
});

describe.skipIf(mongoSkipReason !== null)('metering reads', () => {
  // FerretDB scans the whole collection for every read, so each suite keeps its own small one: a few
  // resources over two hours for the value checks, and 100 instances over one hour for the batched read.
  let t: TestDb;
  let batch: TestDb['db'];
  const instances = small.servers.slice(0, 100).map((s) => s.id);
  const hosts = small.hosts.slice(0, 6).map((h) => h.hostname);
  const HOURS = 2;
  const fromMinute = minuteOf(NOW) - HOURS * 60;
  beforeAll(async () => {
    t = await openTestDb('reads');
    const few: MeteredResource[] = [
      ...instances.slice(0, 3).map((id) => ({ kind: 'instance' as const, id })),
      ...hosts.map((id) => ({ kind: 'host' as const, id })),
    ];
    await seedMetering(t.db, small, { hours: HOURS, now: NOW, resources: few });
    batch = t.sibling('batch');
    const res = await seedMetering(batch, small, { hours: 1, now: NOW, resources: instances.map((id) => ({ kind: 'instance' as const, id })) });
    console.log(
      `[metering] seeded ${res.resources} resources × ${res.minutes} min: ${res.documents} buckets, ${res.samples} samples in ${res.ms} ms`,
    );
  });
  afterAll(async () => {
    await t?.close();
  });

  it('metrics equal those computed from the generated samples, for windows inside and across hours', async () => {
    const store = createMeteringStore(t.db);
    for (const lastMinutes of [1, 15, 37, 60, 90, 120]) {
      const got = await store.resourceMetrics('instance', instances.slice(0, 3), lastMinutes, NOW);
      for (const id of instances.slice(0, 3)) {
        const want = expected('instance', id, lastMinutes, NOW, fromMinute);
        const rec = got.get(id)!;
        expect(rec.minutesWithData).toBe(want.minutesWithData);
        for (const key of Object.keys(want) as (keyof typeof want)[]) expect(rec[key], `${key} over ${lastMinutes} min`).toBeCloseTo(want[key], 9);
      }
    }
    // Older than the seeded history: only the seeded minutes count.
    const long = await store.resourceMetrics('host', [hosts[0]], 600, NOW);
    expect(long.get(hosts[0])?.minutesWithData).toBe(HOURS * 60);
    expect(long.get(hosts[0])?.cpuUtilAvg).toBeCloseTo(expected('host', hosts[0], 600, NOW, fromMinute).cpuUtilAvg, 9);
  });

  it('metrics for 100 instances cost one database round trip', async () => {
    const store = createMeteringStore(batch);
    t.reset();
    const started = performance.now();
    const got = await store.resourceMetrics('instance', instances, 60, NOW);
    const ms = performance.now() - started;
    expect(t.commands.map((c) => c.commandName)).toEqual(['find']);
    expect(got.size).toBe(100);
    console.log(`[metering] 100 instances × 60 min: 1 round trip, ${ms.toFixed(0)} ms`);
  });

  it('reads the current 60-minute window of 100 instances in one round trip, equal to the samples', async () => {
    // The writer pre-aggregates the last 60 whole minutes once a minute; a read for "now" uses that document.
    const now = Date.now();
    const end = minuteOf(now);
    const db = t.sibling('window');
    await writeWindowSnapshots(
      db,
      instances.map((id) => ({ kind: 'instance' as const, id })),
      end,
    );
    const store = createMeteringStore(db);
    t.reset();
    const got = await store.resourceMetrics('instance', instances, SNAPSHOT_MINUTES);
    expect(t.commands.map((c) => c.commandName)).toEqual(['find']);
    expect((t.commands[0].command as { filter: { _id: { $in: string[] } } }).filter._id.$in.every((id) => id.startsWith('instance|60|'))).toBe(true);
    expect(got.size).toBe(100);
    // One instance: an exact _id, the filter FerretDB answers without decoding the other shards.
    t.reset();
    await store.resourceMetrics('instance', [instances[0]], SNAPSHOT_MINUTES);
    expect((t.commands[0].command as { filter: unknown }).filter).toEqual({ _id: expect.stringMatching(/^instance\|60\|\d+$/) });
    for (const id of instances.slice(0, 5)) {
      const want = expected('instance', id, SNAPSHOT_MINUTES, end * 60_000, 0);
      const rec = got.get(id)!;
      for (const key of Object.keys(want) as (keyof typeof want)[]) expect(rec[key], key).toBeCloseTo(want[key], 6);
    }
  });

  it('falls back to the hour buckets when the window document is stale or missing', async () => {
    const db = t.sibling('stale-window');
    await writeWindowSnapshots(
      db,
      instances.slice(0, 2).map((id) => ({ kind: 'instance' as const, id })),
      minuteOf(Date.now()) - 10,
    );
    const store = createMeteringStore(db);
    // No buckets in this database: the stale window must not be served, so nothing comes back.
    expect((await store.resourceMetrics('instance', instances.slice(0, 2), SNAPSHOT_MINUTES)).size).toBe(0);
  });

  it('answers nothing for unknown resources and refuses windows that make no sense', async () => {
    const store = createMeteringStore(t.db);
    expect((await store.resourceMetrics('instance', ['no-such-server'], 60, NOW)).size).toBe(0);
    t.reset();
    expect((await store.resourceMetrics('instance', [], 60, NOW)).size).toBe(0);
    expect(t.commands).toHaveLength(0);
    await expect(store.resourceMetrics('instance', instances, 0, NOW)).rejects.toThrow(RangeError);
    await expect(store.resourceMetrics('instance', instances, 1.5, NOW)).rejects.toThrow(RangeError);
  });
});

describe.skipIf(mongoSkipReason !== null)('metering feed', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb('feed');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('writes samples of the current minute as they fall due, and new servers get metered', async () => {
    const tiny = buildCloud({ size: 'tiny' });
    const cloud: Cloud = { ...tiny, servers: tiny.servers.slice(0, 2), hosts: tiny.hosts.slice(0, 1) };
    const minute = Date.UTC(2026, 0, 15, 10, 37, 0);
    let clock = minute + 100; // just after the minute's first sample
    const ticks: number[] = [];
    const nextTick = async () => {
      const n = ticks.length;
      while (ticks.length === n) await new Promise((r) => setTimeout(r, 10));
    };
    const feed = startMeteringFeed(t.db, cloud, { intervalMs: 20, now: () => clock, onTick: (i) => ticks.push(i.applied) });
    await feed.idle();
    expect(ticks[0]).toBe(3 * METERS.length); // sample 0 of each meter, for two servers and one host
    cloud.servers.push(tiny.servers[2]); // appears mid-minute: metered from the next minute on
    clock = minute + 60_000 + 100;
    await nextTick();
    clock = minute + 120_000 + 100;
    await nextTick();
    await feed.stop();

    const store = createMeteringStore(t.db);
    const ids = cloud.servers.map((s) => s.id);
    const first = await store.resourceMetrics('instance', ids, 1, minute + 60_000);
    for (const id of ids.slice(0, 2)) {
      const want = expected('instance', id, 1, minute + 60_000, 0);
      expect(first.get(id)).toMatchObject({ minutesWithData: 1, netRxBytes: want.netRxBytes, cpuUtilMax: want.cpuUtilMax });
    }
    expect(first.has(ids[2])).toBe(false);
    const second = await store.resourceMetrics('instance', ids, 1, minute + 120_000);
    expect(second.get(ids[2])?.cpuUtilAvg).toBeCloseTo(expected('instance', ids[2], 1, minute + 120_000, 0).cpuUtilAvg, 9);
    expect(meteredResources(cloud)).toHaveLength(4);
  });
});

/**
 * The windows contract has two copies: the writer's (subgraphs/metering/windows.ts, the producer that owns the
 * format, importing nothing from the gateway) and the reader's (datasources/metering/windows.ts). No database:
 * the two must spell every field position, collection, shard and `_id` the same way.
 */
describe('metering windows contract: writer and reader agree', () => {
  const kinds = ['instance', 'host'] as const;
  // ~1000 ids: the seeded cloud's servers and hosts, generated UUIDs and hostnames, and ids that need escaping.
  const tricky = ['a.b', '$x', '50%', '%2E', '$a.b%c', 'x$', '..', '', 'ü-ñ', 'a b'];
  const ids = [
    ...small.servers.map((s) => s.id),
    ...small.hosts.map((h) => h.hostname),
    ...Array.from({ length: 600 }, (_, i) => {
      const hex = createHash('sha256').update(`id-${i}`).digest('hex');
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
    }),
    ...Array.from({ length: 200 }, (_, i) => `cmp-az${i % 3}-r${String(i % 17).padStart(2, '0')}-h${i}`),
    ...tricky,
  ];

  it('has the same field positions, window length and collection names', () => {
    expect(writerWindows.WindowFields).toEqual(readerWindows.WindowFields);
    expect(writerWindows.SNAPSHOT_MINUTES).toBe(readerWindows.SNAPSHOT_MINUTES);
    for (const kind of kinds) {
      expect(writerWindows.windowCollection(kind)).toBe(readerWindows.windowCollection(kind));
      expect(writerWindows.windowShardCount(kind)).toBe(readerWindows.windowShardCount(kind));
    }
  });

  it('puts every resource in the same shard and spells documents and keys the same way', () => {
    expect(ids.length).toBeGreaterThanOrEqual(1000);
    for (const kind of kinds) {
      for (const id of ids) expect([kind, id, writerWindows.windowShard(kind, id)]).toEqual([kind, id, readerWindows.windowShard(kind, id)]);
      for (let shard = 0; shard < writerWindows.windowShardCount(kind); shard++) {
        expect(writerWindows.windowDocId(kind, shard)).toBe(readerWindows.windowDocId(kind, shard));
        expect(writerWindows.windowDocId(kind, shard, 15)).toBe(readerWindows.windowDocId(kind, shard, 15));
      }
    }
    // Instances really spread over their shards (a broken hash could agree on both sides yet put all in one).
    expect(new Set(ids.map((id) => writerWindows.windowShard('instance', id))).size).toBe(writerWindows.windowShardCount('instance'));
    for (const id of ids) expect(writerWindows.windowKey(id)).toBe(readerWindows.windowKey(id));
    for (const id of tricky) {
      const key = writerWindows.windowKey(id);
      expect(key).not.toMatch(/^\$|\./);
    }
    expect(['a.b', '$x', '50%'].map(writerWindows.windowKey)).toEqual(['a%2Eb', '%24x', '50%25']);
  });
});

describe('local MongoDB for metering', () => {
  it("keeps its data under the repository's .data/ferretdb", () => {
    expect(DEFAULT_DATA_DIR).toBe(fileURLToPath(new URL('../.data/ferretdb', import.meta.url)));
  });

  it('uses MONGODB_URI when it is set, without starting anything', async () => {
    const saved = process.env.MONGODB_URI;
    process.env.MONGODB_URI = 'mongodb://metering.example.com:27017';
    try {
      const r = await resolveMongo({ binary: '/nonexistent/ferretdb' });
      expect(r).toMatchObject({ uri: 'mongodb://metering.example.com:27017', source: 'env' });
    } finally {
      if (saved === undefined) delete process.env.MONGODB_URI;
      else process.env.MONGODB_URI = saved;
    }
  });

  it('reports why there is no database instead of throwing', async () => {
    const saved = process.env.MONGODB_URI;
    delete process.env.MONGODB_URI;
    try {
      const r = await resolveMongo({ binary: '/nonexistent/ferretdb' });
      expect('unavailable' in r && r.unavailable).toMatch(/MONGODB_URI.*scripts\/install-ferretdb\.sh/);
    } finally {
      if (saved !== undefined) process.env.MONGODB_URI = saved;
    }
  });

  it.skipIf(!findFerretdb())('starts FerretDB on a free port and stop() waits for it to exit', async () => {
    const dir = `.data/ferretdb-test-start-${process.pid}`;
    const local = await startLocalMongo({ dataDir: dir });
    expect(local.uri).toMatch(/^mongodb:\/\/127\.0\.0\.1:\d+\//);
    expect(existsSync(`/proc/${local.pid}`)).toBe(true);
    await local.stop();
    expect(existsSync(`/proc/${local.pid}`)).toBe(false);
  });
});

/** Seeding time, printed for the record (FerretDB speed varies with the machine). */
describe.skipIf(mongoSkipReason !== null)('metering seed timing', () => {
  it('seeds a tiny cloud for 3 hours and prints how long it took', async () => {
    const t = await openTestDb('seedtime');
    try {
      const tiny = buildCloud({ size: 'tiny' });
      const res = await seedMetering(t.db, tiny, { hours: 3, now: NOW });
      expect(res.documents).toBe(meteredResources(tiny).length * METERS.length * 4);
      console.log(
        `[metering] seed tiny × 3 h: ${res.documents} buckets, ${res.samples} samples, ${res.ms} ms (${Math.round(res.documents / (res.ms / 1000))} buckets/s)`,
      );
    } finally {
      await t.close();
    }
  });
});
