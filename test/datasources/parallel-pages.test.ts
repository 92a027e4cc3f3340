// Parallel pages (issue #8): Cinder's counted first page then offset pages at once, Nova's wide admin list split
// per availability zone after its first page, the legacy controller's offset pages at once — each gives exactly
// what following the pages one by one gives, order included, at small and medium, and the emulators' recorded
// requests show the parallel plan was the one taken. The sequential reference is the same source reading one
// marker chain (Nova without zone names; a Cinder source that pages by marker only, as before #8).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken, startTestCloud, statsOf, type DemoCloud } from '../helpers/cloud.ts';
import { RUNTIMES, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { canonicalInstance, novaOrder, seedView } from '../helpers/seed-view.ts';
import { validateConfig, type MosaicConfig } from '../../core/config.ts';
import type { Caller } from '../../core/caller.ts';
import {
  BatchScheduler,
  KeystoneAuth,
  UpstreamClient,
  createHttpStack,
  createSources,
  type HttpStack,
  type Sources,
} from '../../datasources/index.ts';
import { CinderSource, CINDER_PAGE_LIMIT } from '../../datasources/cinder/source.ts';
import { toVolume, type VolumeRecord } from '../../datasources/cinder/map.ts';
import { splitByZones } from '../../datasources/nova/source.ts';
import { Gate, collectMarkerPages, collectOffsetPages, hasNextLink, queryString, withQuery } from '../../datasources/http/pagination.ts';
import { toGlobalId } from '../../resolvers/global-id.ts';
import type { Volume } from '../../subgraphs/seed/types.ts';

/** Cinder's default list order: created_at desc, then id desc. */
const cinderOrder = (a: Volume, b: Volume) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1);

/** A Cinder source that pages by marker only (the reference: what every Cinder list did before #8). */
class MarkerOnlyCinder extends CinderSource {
  override async listVolumes(filters: Record<string, string | undefined> = {}): Promise<VolumeRecord[]> {
    const params = { ...(this.caller.isAdmin ? { all_tenants: '1' } : {}), ...filters };
    const api = await this.api('cinder');
    return collectMarkerPages(
      async (marker) => {
        const res = await this.getList(api, withQuery(`${api.base}/volumes/detail`, queryString({ ...params, limit: CINDER_PAGE_LIMIT, marker })));
        return { items: (res.body.volumes as unknown[]).map(toVolume), hasNext: hasNextLink(res.body.volumes_links) };
      },
      undefined,
      (v) => v.disk.id,
    );
  }
}

interface Harness {
  cloud: DemoCloud;
  stack: HttpStack;
  auth: KeystoneAuth;
  config: MosaicConfig;
  tokens: Record<'admin' | 'alice', string>;
}

async function harness(options: Parameters<typeof startTestCloud>[0]): Promise<Harness> {
  const cloud = await startTestCloud(options);
  const config = validateConfig({ keystone: { url: cloud.keystoneUrl }, legacy: { url: cloud.legacyUrl, apiKey: cloud.legacyApiKey } });
  const stack = createHttpStack(config);
  const [admin, alice] = await Promise.all([issueToken(cloud, 'admin'), issueToken(cloud, 'alice')]);
  return { cloud, stack, auth: new KeystoneAuth(stack), config, tokens: { admin: admin.token, alice: alice.token } };
}

/** A fresh request's sources (so no URL memo is shared with another request). */
async function request(h: Harness, who: 'admin' | 'alice'): Promise<{ upstream: UpstreamClient; caller: Caller; sources: Sources }> {
  const upstream = new UpstreamClient(h.stack, new BatchScheduler(h.config.batching.maxWaitMs));
  const caller = await h.auth.validate(upstream, h.tokens[who]);
  return { upstream, caller, sources: createSources(upstream, caller, h.config) };
}

const zoneNames = (h: Harness) => async () => h.cloud.cloud.zones.map((z) => z.name);

/** The list requests one service's emulator recorded since the last reset. */
async function listRequests(h: Harness, service: 'nova' | 'cinder' | 'legacy', path: string): Promise<string[]> {
  return (await statsOf(h.cloud, service)).requests.filter((r) => r.includes(path));
}

describe('collectOffsetPages and the list gate', () => {
  it('lays offset pages out in offset order, the first one alone, the others at most `concurrency` at once', async () => {
    const data = Array.from({ length: 1050 }, (_, i) => i);
    let inFlight = 0;
    let most = 0;
    const asked: number[] = [];
    const all = await collectOffsetPages(
      async (offset) => {
        asked.push(offset);
        inFlight++;
        most = Math.max(most, inFlight);
        // Later offsets answer sooner, so arrival order is not offset order.
        await new Promise((r) => setTimeout(r, 20 - offset / 100));
        inFlight--;
        return { items: data.slice(offset, offset + 100), total: offset === 0 ? data.length : undefined };
      },
      100,
      3,
      (i) => i,
    );
    expect(all).toEqual(data);
    expect(asked[0]).toBe(0);
    expect(asked.slice(1).sort((a, b) => a - b)).toEqual([100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
    expect(most).toBe(3);
  });

  it('returns null when the first page reports no total, and one page when it is short', async () => {
    expect(
      await collectOffsetPages(
        async () => ({ items: [1, 2] }),
        100,
        4,
        (i) => i,
      ),
    ).toBeNull();
    const asked: number[] = [];
    const one = await collectOffsetPages(
      async (offset) => (asked.push(offset), { items: [1, 2], total: 2 }),
      100,
      4,
      (i) => i,
    );
    expect(one).toEqual([1, 2]);
    expect(asked).toEqual([0]);
  });

  it('drops a record met twice when it moved across a page boundary between pages', async () => {
    const pages: Record<number, number[]> = { 0: [9, 8], 2: [8, 7] };
    expect(
      await collectOffsetPages(
        async (o) => ({ items: pages[o], total: 4 }),
        2,
        2,
        (i) => i,
      ),
    ).toEqual([9, 8, 7]);
  });

  it('lets at most its limit run at once and hands each freed permit to the longest waiter', async () => {
    const gate = new Gate(2);
    const order: number[] = [];
    let active = 0;
    let most = 0;
    await Promise.all(
      [0, 1, 2, 3, 4].map((i) =>
        gate.run(async () => {
          active++;
          most = Math.max(most, active);
          order.push(i);
          await new Promise((r) => setTimeout(r, 5));
          active--;
        }),
      ),
    );
    expect(most).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(gate.load).toEqual({ active: 0, waiting: 0 });
  });
});

describe.each(['small', 'medium'] as const)('parallel pages at %s', (size) => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness({ size });
  });
  afterAll(async () => {
    h?.stack.close();
    await h?.cloud.close();
  });

  it("reads an admin's all-tenants server list split per zone exactly as the one marker chain reads it, order included", async () => {
    const sequential = await (await request(h, 'admin')).sources.nova.listServers({ all_tenants: '1' });
    h.cloud.resetStats();
    const par = await request(h, 'admin');
    splitByZones(par.upstream, zoneNames(h));
    const parallel = await par.sources.nova.listServers({ all_tenants: '1' });
    expect(parallel).toEqual(sequential);
    const live = h.cloud.cloud.servers.filter((s) => s.status !== 'DELETED').sort(novaOrder);
    expect(parallel.map((i) => i.id)).toEqual(live.map((s) => s.id));
    const requests = await listRequests(h, 'nova', '/servers/detail');
    if (live.length <= 1000) {
      // One page says it all: no zone list is asked for.
      expect(requests).toHaveLength(1);
    } else {
      // The first page, then each zone's chain after its last server.
      const marker = parallel[999].id;
      expect(requests[0]).not.toContain('marker=');
      for (const z of h.cloud.cloud.zones)
        expect(
          requests.some((r) => r.includes(`availability_zone=${z.name}`) && r.includes(`marker=${marker}`)),
          z.name,
        ).toBe(true);
    }
  });

  it("reads a member's own servers, and an admin's zone list, as one marker chain whatever is registered", async () => {
    for (const [who, filters] of [
      ['alice', {}],
      ['admin', { all_tenants: '1', availability_zone: h.cloud.cloud.zones[0].name }],
    ] as const) {
      const sequential = await (await request(h, who)).sources.nova.listServers(filters);
      h.cloud.resetStats();
      const par = await request(h, who);
      splitByZones(par.upstream, zoneNames(h));
      expect(await par.sources.nova.listServers(filters)).toEqual(sequential);
      for (const r of await listRequests(h, 'nova', '/servers/detail'))
        expect(r.match(/availability_zone=/g)?.length ?? 0).toBe(who === 'admin' ? 1 : 0);
    }
  });

  it('reads every volume by offset pages after a counted first page, exactly as marker pages read them', async () => {
    for (const [who, filters] of [
      ['admin', {}],
      ['alice', {}],
      ['admin', { availability_zone: h.cloud.cloud.zones[1].name }],
    ] as const) {
      const ref = await request(h, who);
      const sequential = await new MarkerOnlyCinder(ref.upstream, ref.caller).listVolumes(filters);
      h.cloud.resetStats();
      const parallel = await (await request(h, who)).sources.cinder.listVolumes(filters);
      expect(parallel).toEqual(sequential);
      const requests = await listRequests(h, 'cinder', '/volumes/detail');
      expect(requests[0]).toContain('with_count=true');
      expect(requests.filter((r) => r.includes('marker='))).toEqual([]);
      expect(requests).toHaveLength(Math.max(1, Math.ceil(parallel.length / CINDER_PAGE_LIMIT)));
    }
    const all = [...h.cloud.cloud.volumes].sort(cinderOrder);
    const { sources } = await request(h, 'admin');
    expect((await sources.cinder.listVolumes()).map((v) => v.disk.id)).toEqual(all.map((v) => v.id));
  });
});

describe('where the upstream offers no parallel pages', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness({ size: 'medium', maxMicroversion: { cinder: '3.44' } });
  });
  afterAll(async () => {
    h?.stack.close();
    await h?.cloud.close();
  });

  it('follows Cinder marker pages below microversion 3.45 (no count to split by) and gets the same volumes', async () => {
    h.cloud.resetStats();
    const volumes = await (await request(h, 'admin')).sources.cinder.listVolumes();
    const requests = await listRequests(h, 'cinder', '/volumes/detail');
    expect(requests.some((r) => r.includes('with_count') || r.includes('offset='))).toBe(false);
    expect(requests.length).toBeGreaterThan(1);
    expect(volumes.map((v) => v.disk.id)).toEqual([...h.cloud.cloud.volumes].sort(cinderOrder).map((v) => v.id));
  });
});

describe('legacy host pages', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness({ size: 'tiny' });
    // 250 more hosts in zone 1: three pages of 100.
    const zone = h.cloud.cloud.zones[0];
    const template = h.cloud.cloud.hosts.find((x) => x.zoneId === zone.id)!;
    const nextId = Math.max(...h.cloud.cloud.hosts.map((x) => x.id)) + 1;
    for (let i = 0; i < 250; i++) h.cloud.cloud.hosts.push({ ...template, id: nextId + i, hostname: `extra-${i}` });
  });
  afterAll(async () => {
    h?.stack.close();
    await h?.cloud.close();
  });

  it("fetches a zone's pages after the first at once and lays them out in offset order", async () => {
    const zone = h.cloud.cloud.zones[0];
    h.cloud.resetStats();
    const hosts = await (await request(h, 'admin')).sources.legacy.hostsOfZone(zone.id);
    const expected = h.cloud.cloud.hosts.filter((x) => x.zoneId === zone.id).sort((a, b) => a.id - b.id);
    expect(hosts.map((x) => x.id)).toEqual(expected.map((x) => x.id));
    const requests = await listRequests(h, 'legacy', `/zones/${zone.id}/hosts`);
    expect(requests).toHaveLength(3);
    expect(requests[0]).toContain('offset=0');
  });
});

describe.each(['medium'] as const)('workload answers with parallel pages at %s', (size) => {
  let cloud: DemoCloud;
  let token: string;
  beforeAll(async () => {
    cloud = await startTestCloud({ size });
    token = (await issueToken(cloud, 'admin')).token;
  });
  afterAll(() => cloud?.close());

  it.each(RUNTIMES)('answers fleet-tree on %s with every zone, host and instance the cloud holds, as the seed says', async (runtime) => {
    const gw: TestGateway = await startTestGateway(cloud, runtime);
    try {
      const seed = seedView(cloud.cloud);
      const { body } = await gw.query('{ zones { id hosts { id instances { id status flavor { vcpus } disks { id } } } } }', {}, token);
      expect(body.errors).toBeUndefined();
      const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1);
      const expected = seed.zonesInOrder().map((z) => ({
        id: toGlobalId('Zone', z.id),
        hosts: seed.hostsOfZone(z.id).map((x) => ({
          id: toGlobalId('Host', x.id),
          instances: seed
            .serversOnHost(x.hostname)
            .map((s) => ({
              id: toGlobalId('Instance', s.id),
              status: s.status,
              flavor: { vcpus: seed.flavorOf(s).vcpus },
              disks: seed.disksOf(s.id).map(({ id }) => ({ id })),
            }))
            .sort(byId),
        })),
      }));
      const actual = body.data.zones.map((z: any) => ({
        ...z,
        hosts: z.hosts.map((x: any) => ({ ...x, instances: x.instances.map(canonicalInstance).sort(byId) })),
      }));
      expect(actual).toEqual(expected);
      const { body: mine } = await gw.query('{ instances(first: 1) { totalCount } }', {}, token);
      const live = cloud.cloud.servers.filter((s) => s.status !== 'DELETED').sort(novaOrder);
      expect(mine.data.instances.totalCount).toBe(live.length);
    } finally {
      await gw.close();
    }
  });
});
