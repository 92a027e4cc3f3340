// Partial records real clouds return, through every workload query and node(id), on both runtimes: Nova's
// minimal records for servers in a down cell (2.69+), a Glance image without a name, Cinder volumes in
// transitional states and a Neutron port bound to nothing. None of them may turn into INTERNAL; each answers
// what its upstream gave and null (or a coded error, where null would read as "none") for the rest.
// https://docs.openstack.org/api-guide/compute/down_cells.html
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken, startTestCloud, statsOf, type DemoCloud } from '../helpers/cloud.ts';
import { RUNTIMES, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { canonicalInstance, seedView, type SeedView } from '../helpers/seed-view.ts';
import { toGlobalId } from '../../resolvers/global-id.ts';
import type { Server } from '../../subgraphs/seed/types.ts';

const DOWN_ZONE = 'zone-b';
const workload = (name: string) =>
  readFileSync(new URL(`../fixtures/queries/${name}.graphql`, import.meta.url), 'utf8').replace(/^\s*(metrics|cpuUtilAvg)\(.*\n/gm, '');
const internal = (errors: any[] | undefined) => (errors ?? []).filter((e) => e.extensions?.code === 'INTERNAL');
/** The errors a down-cell server's floatingIps answer: Nova withheld the addresses they are looked up by. */
const isPartialError = (e: any) =>
  e.extensions?.code === 'UPSTREAM_UNAVAILABLE' && e.extensions?.mosaicCode === 'MOSAIC_ERR_UPSTREAM_UNAVAILABLE' && e.extensions?.service === 'nova';

let cloud: DemoCloud;
let seed: SeedView;
let adminToken: string;
let aliceToken: string;
const down = (s: Server) => s.zone === DOWN_ZONE;

beforeAll(async () => {
  cloud = await startTestCloud({ size: 'tiny', downCell: [DOWN_ZONE], partialRecords: true });
  seed = seedView(cloud.cloud);
  [adminToken, aliceToken] = (await Promise.all([issueToken(cloud, 'admin'), issueToken(cloud, 'alice')])).map((t) => t.token);
});
afterAll(() => cloud?.close());

describe('the partial-records emulators', () => {
  it('returns Nova minimal records for a down cell from 2.69, and full ones below', async () => {
    const server = cloud.cloud.servers.find(down)!;
    const get = async (path: string, mv: string) => {
      const res = await fetch(`${cloud.urls.nova}/v2.1${path}`, {
        headers: { 'x-auth-token': adminToken, 'openstack-api-version': `compute ${mv}` },
      });
      return (await res.json()) as any;
    };
    const listed = (await get('/servers/detail?all_tenants=1', '2.79')).servers.find((s: any) => s.id === server.id);
    expect(Object.keys(listed).sort()).toEqual(['created', 'id', 'links', 'status', 'tenant_id']);
    expect(listed.status).toBe('UNKNOWN');
    const shown = (await get(`/servers/${server.id}`, '2.79')).server;
    expect(shown).toMatchObject({ id: server.id, status: 'UNKNOWN', user_id: server.userId, 'OS-EXT-AZ:availability_zone': DOWN_ZONE });
    expect(shown.name).toBeUndefined();
    expect((await get(`/servers/${server.id}`, '2.68')).server.name).toBe(server.name);
  });
});

describe.each(RUNTIMES)('partial records on %s', (runtime) => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway(cloud, runtime);
  });
  afterAll(() => gw?.close());

  it('lists a down cell’s servers in my-instances with what Nova gave and null for the rest', async () => {
    const mine = seed.serversOf(seed.projectIdOf('alice'));
    expect(mine.some(down)).toBe(true);
    const { body } = await gw.query(workload('my-instances'), { first: 100 }, aliceToken);
    expect(internal(body.errors)).toEqual([]);
    expect(body.data.instances.totalCount).toBe(mine.length);
    const nodes = body.data.instances.edges.map((e: any) => e.node);
    mine.forEach((s, n) => {
      const node = canonicalInstance(nodes[n]);
      expect(node.id).toBe(toGlobalId('Instance', s.id));
      if (down(s)) {
        expect(node).toEqual({
          id: toGlobalId('Instance', s.id),
          name: null,
          status: 'UNKNOWN',
          image: null,
          flavor: null,
          // Nova withheld the volume ids: the disks come from Cinder's own attachments and the region controller.
          disks: canonicalInstance({ disks: seed.disksOf(s.id).map((d) => ({ sizeGb: d.sizeGb })) }).disks,
          floatingIps: null,
        });
      } else {
        expect(node.name).toBe(s.name);
        expect(node.status).toBe(s.status);
      }
    });
    // Each down-cell server's floatingIps is an error at its path, never an empty list; nothing else failed.
    const downCount = mine.filter(down).length;
    expect(body.errors).toHaveLength(downCount);
    for (const e of body.errors!) {
      expect(isPartialError(e)).toBe(true);
      expect(e.path.at(-1)).toBe('floatingIps');
    }
  });

  it('answers instance-detail and node(id) of a down-cell server from Nova’s fuller show record', async () => {
    const s = seed.serversOf(seed.projectIdOf('alice')).find(down)!;
    const { body } = await gw.query(workload('instance-detail'), { id: toGlobalId('Instance', s.id) }, aliceToken);
    expect(internal(body.errors)).toEqual([]);
    const full = seed.instanceDetail(s, false);
    expect(canonicalInstance(body.data.instance)).toEqual({ ...full, name: null, status: 'UNKNOWN', floatingIps: null });
    expect(body.errors!.map((e: any) => e.path.join('.')).sort()).toEqual(['instance.floatingIps', 'instance.host']);

    const node = await gw.query(
      `query($id: ID!) { node(id: $id) { id ... on Instance { name status availabilityZone powerState vmState addresses { address } tags } } }`,
      { id: toGlobalId('Instance', s.id) },
      aliceToken,
    );
    expect(node.body.errors).toBeUndefined();
    expect(node.body.data.node).toEqual({
      id: toGlobalId('Instance', s.id),
      name: null,
      status: 'UNKNOWN',
      availabilityZone: DOWN_ZONE,
      powerState: 'NOSTATE',
      vmState: null,
      addresses: null,
      tags: null,
    });
  });

  it('answers sdk-nodes with a down-cell server among the others', async () => {
    const [up, dn] = [cloud.cloud.servers.find((s) => !down(s))!, cloud.cloud.servers.find(down)!];
    const ids = [toGlobalId('Instance', up.id), toGlobalId('Instance', dn.id)];
    const { body } = await gw.query(workload('sdk-nodes'), { ids }, adminToken);
    expect(body.errors).toBeUndefined();
    expect(body.data.nodes).toEqual([
      { id: ids[0], __typename: 'Instance', name: up.name, status: up.status },
      { id: ids[1], __typename: 'Instance', name: null, status: 'UNKNOWN' },
    ]);
  });

  /**
   * Checks each host of a tree: its instances are exactly the seed's (no down-cell server can run there), or null
   * with one MOSAIC_ERR_PARTIAL_LIST error at its path counting what Nova could and could not place. A host that
   * runs a down-cell server is never answered with a list: that list would be short and read as whole.
   */
  const checkHosts = (hosts: { host: any; path: (string | number)[] }[], errors: any[] | undefined) => {
    const downLive = cloud.cloud.servers.filter((x) => down(x) && x.status !== 'DELETED');
    const failed: string[] = [];
    for (const { host, path } of hosts) {
      const onHost = seed.serversOnHost(host.hostname);
      const at = (errors ?? []).filter((e) => e.path.join('.') === [...path, 'instances'].join('.'));
      if (host.instances === null) {
        failed.push(host.hostname);
        expect(at).toHaveLength(1);
        expect(at[0].extensions).toMatchObject({
          code: 'UPSTREAM_UNAVAILABLE',
          mosaicCode: 'MOSAIC_ERR_PARTIAL_LIST',
          service: 'nova',
          placedCount: onHost.filter((x) => !down(x)).length,
        });
        expect(at[0].extensions.unplaceableCount).toBeGreaterThan(0);
        expect(at[0].extensions.unplaceableCount).toBeLessThanOrEqual(downLive.length);
      } else {
        expect(at, host.hostname).toEqual([]);
        expect(onHost.some(down), `${host.hostname} runs a down-cell server`).toBe(false);
        expect(host.instances.map((i: any) => i.name).sort()).toEqual(onHost.map((x) => x.name).sort());
      }
    }
    // Every host here that a down-cell server runs on is among the failed ones.
    const here = new Set(hosts.map((h) => h.host.hostname));
    for (const x of downLive) if (here.has(x.host)) expect(failed).toContain(x.host);
    // Nothing but these lists failed.
    expect((errors ?? []).length).toBe(failed.length);
    return failed;
  };

  it('fails fleet-tree’s Host.instances with MOSAIC_ERR_PARTIAL_LIST on every host, as the down-cell records name no zone', async () => {
    const tree = await gw.query(workload('fleet-tree'), {}, adminToken);
    expect(internal(tree.body.errors)).toEqual([]);
    const hosts = tree.body.data.zones.flatMap((z: any, zi: number) =>
      z.hosts.map((h: any, hi: number) => ({ host: h, path: ['zones', zi, 'hosts', hi] })),
    );
    expect(hosts.length).toBe(cloud.cloud.hosts.length);
    // The wide list says nothing of where its minimal records run: each could be on any host.
    const failed = checkHosts(hosts, tree.body.errors);
    expect(failed.sort()).toEqual(cloud.cloud.hosts.map((h) => h.hostname).sort());
    const downLive = cloud.cloud.servers.filter((x) => down(x) && x.status !== 'DELETED').length;
    for (const e of tree.body.errors!) expect(e.extensions.unplaceableCount).toBe(downLive);
    // The rest of each host still resolves.
    for (const { host } of hosts) expect(host).toMatchObject({ id: expect.any(String), hostname: expect.any(String), status: expect.any(String) });
  });

  it('answers zone-console for every zone, failing only the hosts a down-cell server could run on', async () => {
    for (const z of cloud.cloud.zones) {
      const { body } = await gw.query(workload('zone-console'), { zoneId: toGlobalId('Zone', z.id) }, adminToken);
      expect(internal(body.errors)).toEqual([]);
      expect(body.data.zone.name).toBe(z.name);
      const failed = checkHosts(
        body.data.zone.hosts.map((h: any, hi: number) => ({ host: h, path: ['zone', 'hosts', hi] })),
        body.errors,
      );
      // Whichever list Nova was asked (the zone's, or each host's), the answered lists hold no partial record.
      if (z.name !== DOWN_ZONE) expect(failed).toEqual([]);
      else expect(failed.length).toBeGreaterThan(0);
    }
  });

  it('fails host(id).instances alone for a host running a down-cell server, its other fields standing', async () => {
    const s = cloud.cloud.servers.find((x) => down(x) && x.status !== 'DELETED' && x.host)!;
    const host = cloud.cloud.hosts.find((h) => h.hostname === s.host)!;
    cloud.resetStats();
    const { body } = await gw.query(
      `query($id: ID!) { host(id: $id) { hostname rack instances { name } } }`,
      { id: toGlobalId('Host', String(host.id)) },
      adminToken,
    );
    expect(body.data.host).toEqual({ hostname: host.hostname, rack: host.rack, instances: null });
    expect(body.errors).toHaveLength(1);
    expect(body.errors![0].path).toEqual(['host', 'instances']);
    expect(body.errors![0].extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', mosaicCode: 'MOSAIC_ERR_PARTIAL_LIST', service: 'nova' });
    expect(body.errors![0].message).toMatch(/unreachable cell/);
    // One host is answered by its own host= list: the minimal records in it were counted, not placed.
    const lists = (await statsOf(cloud, 'nova')).requests.filter((r) => r.startsWith('GET /v2.1/servers/detail'));
    expect(lists).toEqual([expect.stringContaining(`host=${host.hostname}`)]);

    // The same host reached by node(id): the same partial list, the same error at its path.
    const node = await gw.query(
      `query($id: ID!) { node(id: $id) { id ... on Host { hostname instances { name } } } }`,
      { id: toGlobalId('Host', String(host.id)) },
      adminToken,
    );
    expect(node.body.data.node).toEqual({ id: toGlobalId('Host', String(host.id)), hostname: host.hostname, instances: null });
    expect(node.body.errors!.map((e: any) => [e.path, e.extensions.mosaicCode])).toEqual([[['node', 'instances'], 'MOSAIC_ERR_PARTIAL_LIST']]);
  });

  it('fails the dashboard’s server figures with a coded error instead of undercounting, keeping the rest', async () => {
    const { body } = await gw.query(workload('dashboard'), {}, adminToken);
    expect(internal(body.errors)).toEqual([]);
    expect(body.errors!.length).toBeGreaterThan(0);
    for (const e of body.errors!) expect(e.extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', service: 'nova' });
    const paths = new Set(body.errors!.map((e: any) => e.path.at(-1)));
    expect([...paths].sort()).toEqual(['instanceCount', 'instancesByStatus', 'memoryMbAllocated', 'vcpusAllocated']);
    for (const z of body.data.fleet.zones) {
      const expected = seed.zoneStats(cloud.cloud.zones.find((x) => x.name === z.zone.name)!.id);
      expect(z).toMatchObject({ hostCount: expected.hostCount, vcpusTotal: expected.vcpusTotal, diskGbProvisioned: expected.diskGbProvisioned });
    }
  });

  it('answers a nameless image, transitional volumes and an unbound port by node(id) as their upstreams gave them', async () => {
    const ids = cloud.partialRecords!;
    const withImage = seed.serverById(ids.namelessImageServerId);
    const volumeIds = Object.values(ids.volumes);
    const { body } = await gw.query(
      `query($image: ID!, $instance: ID!, $disks: [ID!]!, $port: ID!) {
        image: node(id: $image) { ... on Image { imageId name status } }
        instance(id: $instance) { name image { name } }
        disks: nodes(ids: $disks) { ... on Disk { status name attachments { instanceId device } } }
        port: node(id: $port) { ... on Port { deviceOwner fixedIps { ipAddress } status } }
      }`,
      {
        image: toGlobalId('Image', ids.namelessImageId),
        instance: withImage.id,
        disks: volumeIds.map((v) => toGlobalId('Disk', `cinder:${v}`)),
        port: toGlobalId('Port', ids.unboundPortId),
      },
      adminToken,
    );
    expect(body.errors).toBeUndefined();
    expect(body.data.image).toEqual({ imageId: ids.namelessImageId, name: null, status: 'active' });
    expect(body.data.instance).toEqual({ name: withImage.name, image: { name: null } });
    const detaching = cloud.cloud.volumes.find((v) => v.id === ids.volumes.detaching)!;
    expect(body.data.disks).toEqual([
      { status: 'attaching', name: 'attaching-volume', attachments: [] },
      {
        status: 'detaching',
        name: detaching.name,
        attachments: [{ instanceId: detaching.attachments[0].serverId, device: detaching.attachments[0].device }],
      },
      { status: 'reserved', name: expect.any(String), attachments: [] },
      { status: 'error_deleting', name: expect.any(String), attachments: [] },
    ]);
    expect(body.data.port).toEqual({ deviceOwner: '', fixedIps: [], status: 'DOWN' });
  });
});

describe('a down cell behind a Nova of 2.68 (before minimal records)', () => {
  let old: DemoCloud;
  let gw: TestGateway;
  beforeAll(async () => {
    old = await startTestCloud({ size: 'tiny', downCell: [DOWN_ZONE], maxMicroversion: { nova: '2.68' } });
    gw = await startTestGateway(old, 'mercurius');
  });
  afterAll(async () => {
    await gw?.close();
    await old?.close();
  });

  it('answers fleet-tree whole, every server under its host with its name, and no error', async () => {
    const admin = (await issueToken(old, 'admin')).token;
    const { body } = await gw.query(workload('fleet-tree'), {}, admin);
    expect(body.errors).toBeUndefined();
    const view = seedView(old.cloud);
    for (const z of body.data.zones)
      for (const h of z.hosts)
        expect(h.instances.map((i: any) => i.name).sort()).toEqual(
          view
            .serversOnHost(h.hostname)
            .map((s) => s.name)
            .sort(),
        );
    const listed = body.data.zones.flatMap((z: any) => z.hosts.flatMap((h: any) => h.instances));
    expect(listed.some((i: any) => i.status === 'UNKNOWN')).toBe(false);
    expect(listed.length).toBe(old.cloud.servers.filter((s) => s.status !== 'DELETED' && s.host).length);
  });
});
