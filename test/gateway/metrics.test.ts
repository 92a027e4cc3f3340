// Metrics through the graph, against the real MongoDB-compatible server: Instance.metrics and the dashboard's
// cpuUtilAvg equal the generated samples' aggregates, a whole page of instances costs one database round trip,
// and a caller only gets metrics of instances it can see.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCloud, issueToken, type DemoCloud } from '../helpers/cloud.ts';
import { startTestGateway, RUNTIMES, type TestGateway } from '../helpers/gateway.ts';
import { mongoSkipReason, openTestDb, type TestDb } from '../helpers/mongo.ts';
import { createMeteringStore } from '../../datasources/metering/store.ts';
import { meteredResources } from '../../subgraphs/metering/feeder.ts';
import { writeWindowSnapshots, windowOf } from '../../subgraphs/metering/window-snapshot.ts';
import { minuteOf } from '../../subgraphs/metering/buckets.ts';
import { WindowFields as F } from '../../datasources/metering/windows.ts';
import { toGlobalId } from '../../resolvers/global-id.ts';

describe.skipIf(mongoSkipReason !== null).each(RUNTIMES)('metrics on %s', (runtime) => {
  let cloud: DemoCloud;
  let gw: TestGateway;
  let t: TestDb;
  let end: number;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    cloud = await startTestCloud({ size: 'small' });
    t = await openTestDb(`gw_metrics_${runtime}`);
    end = minuteOf(Date.now());
    await writeWindowSnapshots(t.db, meteredResources(cloud.cloud), end);
    gw = await startTestGateway(cloud, runtime, { fleet: { cacheTtlMs: 0 } }, createMeteringStore(t.db));
    for (const u of ['admin', 'alice']) tokens[u] = (await issueToken(cloud, u)).token;
  });
  afterAll(async () => {
    await gw?.close();
    await t?.close();
    await cloud?.close();
  });

  /** The window may have been written a minute before the read; both ends are accepted by the reader. */
  const expectCpu = (kind: 'instance' | 'host', id: string, got: number) => {
    const candidates = [end, end + 1].map((e) => {
      const v = windowOf(kind, id, e);
      return v[F.cpuS] / v[F.cpuC];
    });
    expect(
      candidates.some((c) => Math.abs(c - got) < 1e-6),
      `${kind} ${id}: ${got} not in ${candidates}`,
    ).toBe(true);
  };

  it('answers a page of 50 instances’ metrics from one database round trip, equal to the samples', async () => {
    t.reset();
    const res = await gw.query(
      '{ instances(first: 50) { edges { node { uuid metrics(lastMinutes: 60) { cpuUtilAvg cpuUtilMax netRxBytes minutesWithData } } } } }',
      {},
      tokens.alice,
    );
    expect(res.body.errors).toBeUndefined();
    const edges = res.body.data.instances.edges;
    expect(edges).toHaveLength(50);
    expect(t.commands.filter((c) => c.commandName === 'find')).toHaveLength(1);
    for (const { node } of edges) {
      expect(node.metrics.minutesWithData).toBe(60);
      expectCpu('instance', node.uuid, node.metrics.cpuUtilAvg);
    }
  });

  it('computes each zone’s cpuUtilAvg from its hosts’ windows in one round trip', async () => {
    t.reset();
    const res = await gw.query('{ fleet { zones { zone { name } cpuUtilAvg(lastMinutes: 60) } } }', {}, tokens.admin);
    expect(res.body.errors).toBeUndefined();
    expect(t.commands.filter((c) => c.commandName === 'find')).toHaveLength(1);
    for (const z of res.body.data.fleet.zones) {
      const zone = cloud.cloud.zones.find((x) => x.name === z.zone.name)!;
      const hosts = cloud.cloud.hosts.filter((h) => h.zoneId === zone.id);
      const avgs = [end, end + 1].map(
        (e) =>
          hosts.reduce((sum, h) => {
            const v = windowOf('host', h.hostname, e);
            return sum + v[F.cpuS] / v[F.cpuC];
          }, 0) / hosts.length,
      );
      expect(avgs.some((a) => Math.abs(a - z.cpuUtilAvg) < 1e-6)).toBe(true);
    }
  });

  it('gives a member no metrics of another project’s instance', async () => {
    const bobs = cloud.cloud.servers.find((s) => s.projectId === cloud.cloud.users.find((u) => u.name === 'bob')!.projectId)!;
    const res = await gw.query(
      'query($id: ID!) { instance(id: $id) { metrics { cpuUtilAvg } } node(id: $id) { id } }',
      { id: toGlobalId('Instance', bobs.id) },
      tokens.alice,
    );
    expect(res.body.data).toEqual({ instance: null, node: null });
  });

  it('rejects a window outside 1..1440 minutes with BAD_USER_INPUT at the field', async () => {
    const res = await gw.query('{ instances(first: 1) { edges { node { metrics(lastMinutes: 0) { cpuUtilAvg } } } } }', {}, tokens.alice);
    expect(res.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.body.errors?.[0]?.path).toEqual(['instances', 'edges', 0, 'node', 'metrics']);
  });
});

describe.each(RUNTIMES)('metrics without a database on %s', (runtime) => {
  it('answers metric fields with MOSAIC_ERR_METRICS_OFF and everything else normally', async () => {
    const cloud = await startTestCloud({ size: 'tiny' });
    const gw = await startTestGateway(cloud, runtime);
    try {
      const { token } = await issueToken(cloud, 'alice');
      const res = await gw.query('{ instances(first: 2) { edges { node { name metrics { cpuUtilAvg } } } } }', {}, token);
      expect(res.body.data.instances.edges[0].node.name).toMatch(/^web-vm-/);
      expect(res.body.errors?.[0]?.extensions).toMatchObject({
        code: 'UPSTREAM_UNAVAILABLE',
        mosaicCode: 'MOSAIC_ERR_METRICS_OFF',
        service: 'mongodb',
      });
    } finally {
      await gw.close();
      await cloud.close();
    }
  });
});
