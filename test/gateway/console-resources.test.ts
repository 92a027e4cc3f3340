// The resources a console browses (#10): images (Glance's own list, filters and marker pages), networks and subnets,
// security groups, volume types and per-project quotas — through the gateway over HTTP against the emulated cloud,
// compared with the emulators' data per caller, with batching and bounds checked from the requests the emulators
// recorded.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { issueToken, startTestCloud, statsOf, type DemoCloud, type ServiceName } from '../helpers/cloud.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { NO_FAULTS } from '../../subgraphs/emulator/emulator-server.ts';
import type { Image } from '../../subgraphs/seed/types.ts';
import { toGlobalId } from '../../resolvers/global-id.ts';

let cloud: DemoCloud;
let gw: TestGateway;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  cloud = await startTestCloud({ size: 'tiny' });
  for (const name of ['admin', 'alice', 'bob', 'carol']) tokens[name] = (await issueToken(cloud, name)).token;
  gw = await startTestGateway(cloud, 'mercurius');
});
afterAll(async () => {
  await gw?.close();
  await cloud?.close();
});
afterEach(() => {
  for (const s of ['glance', 'neutron', 'cinder', 'nova'] as const) cloud.setFaults(s, NO_FAULTS);
});

const projectOf = (user: string) => cloud.cloud.users.find((u) => u.name === user)!.projectId;
const reset = (service: ServiceName) => fetch(`${cloud.urls[service]}/_emulator/reset`, { method: 'POST' });
/** The recorded requests of one service whose path starts with `prefix`. */
const requestsTo = async (service: ServiceName, prefix: string) =>
  (await statsOf(cloud, service)).requests.filter((r) =>
    r
      .split(' ')[1]
      .replace(/^\/v3\/[^/]+/, '')
      .startsWith(prefix),
  );
async function ok<T = any>(query: string, variables: Record<string, unknown> | undefined, user: string): Promise<T> {
  const r = await gw.query<T>(query, variables, tokens[user]);
  expect(r.body.errors).toBeUndefined();
  return r.body.data!;
}

/** Glance's default listing for a member: public, shared and own images, not others' community ones; no hidden. */
function defaultListing(projectId: string): Image[] {
  return cloud.cloud.images
    .filter((i) => !i.hidden)
    .filter((i) => i.owner === projectId || i.visibility === 'public' || i.visibility === 'shared')
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1));
}

describe('images', () => {
  const PAGE = `query($first: Int, $after: String, $filter: ImageFilter, $orderBy: ImageOrder) {
    images(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
      pageInfo { hasNextPage hasPreviousPage endCursor }
      nodes { imageId name visibility status tags owner minDiskGb minRamMb sizeBytes createdAt ownerProject { name } }
    } }`;

  it('pages through what Glance lists for the caller, one Glance call per page carrying the marker', async () => {
    const expected = defaultListing(projectOf('alice'));
    expect(expected.length).toBeGreaterThan(3);
    await reset('glance');
    const seen: any[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const data: any = await ok(PAGE, { first: 3, after }, 'alice');
      seen.push(...data.images.nodes);
      pages++;
      expect(data.images.pageInfo.hasPreviousPage).toBe(after !== null);
      if (!data.images.pageInfo.hasNextPage) break;
      after = data.images.pageInfo.endCursor;
    }
    expect(seen.map((i) => i.imageId)).toEqual(expected.map((i) => i.id));
    const first = expected[0];
    expect(seen[0]).toMatchObject({
      name: first.name,
      visibility: first.visibility,
      status: first.status,
      tags: first.tags,
      owner: first.owner,
      minDiskGb: first.minDisk,
      minRamMb: first.minRam,
      createdAt: first.createdAt.toISOString(),
    });
    // web owns one private image; its owner resolves through Keystone, another project's does not for alice.
    expect(seen.find((i) => i.owner === projectOf('alice')).ownerProject).toEqual({ name: 'web' });
    expect(seen.find((i) => i.owner === projectOf('admin')).ownerProject).toBeNull();
    const calls = await requestsTo('glance', '/v2/images');
    expect(calls).toHaveLength(pages);
    expect(calls.every((c) => c.includes('limit=4'))).toBe(true);
    expect(calls.slice(1).every((c) => c.includes('marker='))).toBe(true);
  });

  it('asks Glance once for a page two aliases ask for with the same arguments, and twice for different ones', async () => {
    await reset('glance');
    const q = `query($f: ImageFilter) {
      a: images(first: 3, filter: $f) { nodes { imageId } }
      b: images(first: 3, filter: $f) { nodes { imageId name } }
      c: images(first: 2, filter: $f) { nodes { imageId } } }`;
    const data = await ok(q, { f: { status: ['active'] } }, 'alice');
    expect(data.a.nodes).toHaveLength(3);
    expect(data.b.nodes.map((i: any) => i.imageId)).toEqual(data.a.nodes.map((i: any) => i.imageId));
    expect(data.c.nodes.map((i: any) => i.imageId)).toEqual(data.a.nodes.slice(0, 2).map((i: any) => i.imageId));
    const calls = await requestsTo('glance', '/v2/images');
    expect(calls).toHaveLength(2);
    expect(calls.filter((c) => c.includes('limit=4'))).toHaveLength(1); // first + 1: whether a next page exists
  });

  it("forwards Glance's own filters and sort, and lets Glance decide visibility", async () => {
    const community = await ok(PAGE, { first: 100, filter: { visibility: 'COMMUNITY' } }, 'alice');
    const expectedCommunity = cloud.cloud.images.filter((i) => !i.hidden && i.visibility === 'community');
    expect(community.images.nodes.map((i: any) => i.imageId).sort()).toEqual(expectedCommunity.map((i) => i.id).sort());
    // The seed tags no listed image: tag two public ones (Glance serialises from the shared model per request).
    const publicImages = cloud.cloud.images.filter((i) => !i.hidden && i.visibility === 'public');
    publicImages[0].tags = ['golden', 'linux'];
    publicImages[1].tags = ['golden'];
    const byTag = await ok(PAGE, { first: 100, filter: { tags: ['golden'] } }, 'alice');
    expect(byTag.images.nodes.map((i: any) => i.imageId).sort()).toEqual([publicImages[0].id, publicImages[1].id].sort());
    const byBoth = await ok(PAGE, { first: 100, filter: { tags: ['golden', 'linux'] } }, 'alice');
    expect(byBoth.images.nodes.map((i: any) => i.imageId)).toEqual([publicImages[0].id]);
    const byName = await ok(PAGE, { first: 100, orderBy: { field: 'NAME', direction: 'ASC' }, filter: { status: ['active'] } }, 'alice');
    const names = byName.images.nodes.map((i: any) => i.name);
    expect(byName.images.nodes.every((i: any) => i.status === 'active')).toBe(true);
    expect(names).toEqual([...names].sort((a: string | null, b: string | null) => (a === b ? 0 : a === null ? -1 : b === null ? 1 : a < b ? -1 : 1)));
    // carol's project's private images never reach alice, whatever she asks; the administrator sees them.
    const mlPrivate = cloud.cloud.images.filter((i) => i.owner === projectOf('carol') && i.visibility === 'private' && !i.hidden);
    expect(mlPrivate.length).toBeGreaterThan(0);
    const filter = { owner: projectOf('carol'), visibility: 'PRIVATE' };
    expect((await ok(PAGE, { first: 100, filter }, 'alice')).images.nodes).toEqual([]);
    const adminAll = await ok(PAGE, { first: 100, filter }, 'admin');
    expect(adminAll.images.nodes.map((i: any) => i.imageId).sort()).toEqual(mlPrivate.map((i) => i.id).sort());
    // Names with a colon or a comma reach Glance intact (`eq:` / quoted `in:` operands).
    const named = await ok(PAGE, { first: 100, filter: { name: [publicImages[2].name!, 'no,such:image'] } }, 'alice');
    expect(named.images.nodes.map((i: any) => i.imageId)).toEqual([publicImages[2].id]);
  });

  it('refuses more than 100 per page, bad statuses and bad cursors before calling Glance', async () => {
    await reset('glance');
    for (const [variables, code] of [
      [{ first: 101 }, 'MOSAIC_ERR_BAD_ARGUMENT'],
      [{ filter: { status: ['nonsense'] } }, 'MOSAIC_ERR_BAD_ARGUMENT'],
      [{ filter: { tags: Array.from({ length: 21 }, (_, i) => `t${i}`) } }, 'MOSAIC_ERR_BAD_ARGUMENT'],
      [{ after: 'bm90LWEtY3Vyc29y' }, 'MOSAIC_ERR_BAD_CURSOR'],
    ] as const) {
      const r = await gw.query(PAGE, variables, tokens.alice);
      expect(r.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', mosaicCode: code });
    }
    expect(await requestsTo('glance', '/v2/images')).toEqual([]);
    // A well-formed cursor naming an image Glance does not know is the client's stale cursor, not an upstream failure.
    const stale = Buffer.from('image:00000000-0000-4000-8000-000000000000').toString('base64url');
    const r = await gw.query(PAGE, { after: stale }, tokens.alice);
    expect(r.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', mosaicCode: 'MOSAIC_ERR_BAD_CURSOR' });
  });
});

describe('networks and subnets', () => {
  it("lists the caller's own, shared and external networks with their subnets", async () => {
    const data = await ok(
      `{ networks { networkId name status shared external mtu projectId
           subnets { subnetId cidr ipVersion gatewayIp enableDhcp allocationPools { start end } dnsNameservers network { networkId } } } }`,
      undefined,
      'alice',
    );
    const expected = cloud.cloud.networks.filter((n) => n.projectId === projectOf('alice') || n.shared || n.external);
    expect(data.networks.map((n: any) => n.networkId).sort()).toEqual(expected.map((n) => n.id).sort());
    const own = data.networks.find((n: any) => n.projectId === projectOf('alice'));
    const seeded = cloud.cloud.networks.find((n) => n.id === own.networkId)!;
    const [base] = seeded.cidr.split('/');
    const gateway = base.replace(/0$/, '1');
    expect(own).toMatchObject({ name: seeded.name, status: 'ACTIVE', shared: false, external: false, mtu: 1450 });
    expect(own.subnets).toEqual([
      expect.objectContaining({
        subnetId: seeded.subnetId,
        cidr: seeded.cidr,
        ipVersion: 4,
        gatewayIp: gateway,
        enableDhcp: true,
        network: { networkId: seeded.id },
      }),
    ]);
    const external = await ok(`{ networks(filter: { external: true }) { name external } }`, undefined, 'bob');
    expect(external.networks).toEqual([{ name: 'public', external: true }]);
    const r = await gw.query(`{ networks(first: 1001) { name } }`, undefined, tokens.alice);
    expect(r.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
  });

  it('batches Port.network and FixedIp.subnet into one Neutron call each', async () => {
    await reset('neutron');
    const data = await ok(
      `{ instances(first: 20) { nodes { ports { networkId network { networkId name } fixedIps { subnetId subnet { subnetId cidr } } } } } }`,
      undefined,
      'admin',
    );
    const ports = data.instances.nodes.flatMap((i: any) => i.ports ?? []);
    expect(ports.length).toBeGreaterThan(1);
    for (const p of ports) {
      expect(p.network.networkId).toBe(p.networkId);
      for (const ip of p.fixedIps) expect(ip.subnet.subnetId).toBe(ip.subnetId);
    }
    expect(new Set(ports.map((p: any) => p.networkId)).size).toBeGreaterThan(1);
    expect(await requestsTo('neutron', '/v2.0/networks')).toHaveLength(1);
    expect(await requestsTo('neutron', '/v2.0/subnets')).toHaveLength(1);
  });

  it('resolves networks and subnets by node(id) only where Neutron shows them to the caller', async () => {
    const bobsNet = cloud.cloud.networks.find((n) => n.projectId === projectOf('bob') && !n.external)!;
    const q = `query($n: ID!, $s: ID!) { n: node(id: $n) { ... on Network { name } } s: node(id: $s) { ... on Subnet { cidr } } }`;
    const vars = { n: toGlobalId('Network', bobsNet.id), s: toGlobalId('Subnet', bobsNet.subnetId) };
    expect(await ok(q, vars, 'bob')).toEqual({ n: { name: bobsNet.name }, s: { cidr: bobsNet.cidr } });
    expect(await ok(q, vars, 'alice')).toEqual({ n: null, s: null });
  });
});

describe('security groups', () => {
  it("lists the caller's project's groups with their rules, and refuses another project's filter", async () => {
    const data = await ok(
      `{ securityGroups { id securityGroupId name description projectId
           rules { direction etherType protocol portRangeMin portRangeMax remoteIpPrefix remoteGroupId } } }`,
      undefined,
      'alice',
    );
    expect(data.securityGroups.map((g: any) => g.name).sort()).toEqual(['default', 'web']);
    expect(data.securityGroups.every((g: any) => g.projectId === projectOf('alice'))).toBe(true);
    const def = data.securityGroups.find((g: any) => g.name === 'default');
    expect(def.rules).toContainEqual({
      direction: 'ingress',
      etherType: 'IPv4',
      protocol: null,
      portRangeMin: null,
      portRangeMax: null,
      remoteIpPrefix: null,
      remoteGroupId: def.securityGroupId,
    });
    const web = data.securityGroups.find((g: any) => g.name === 'web');
    expect(web.rules).toContainEqual(
      expect.objectContaining({ direction: 'ingress', protocol: 'tcp', portRangeMin: 22, portRangeMax: 22, remoteIpPrefix: '0.0.0.0/0' }),
    );
    // The node path authorises like the list: bob does not see alice's group.
    const q = `query($id: ID!) { node(id: $id) { ... on SecurityGroup { name } } }`;
    expect(await ok(q, { id: def.id }, 'alice')).toEqual({ node: { name: 'default' } });
    expect(await ok(q, { id: def.id }, 'bob')).toEqual({ node: null });
    const r = await gw.query(`query($p: ID) { securityGroups(filter: { projectId: $p }) { name } }`, { p: projectOf('bob') }, tokens.alice);
    expect(r.body.errors?.[0].extensions.code).toBe('FORBIDDEN');
    const admin = await ok(`{ securityGroups(first: 1000) { projectId } }`, undefined, 'admin');
    expect(new Set(admin.securityGroups.map((g: any) => g.projectId)).size).toBe(cloud.cloud.projects.length);
  });
});

describe("instances' security groups as objects", () => {
  it('resolves them from the ports of a whole level in one ports call and one security-groups call', async () => {
    await reset('neutron');
    const data = await ok(
      `{ instances(first: 20) { nodes { uuid securityGroups securityGroupObjects { name projectId rules { direction } } } } }`,
      undefined,
      'alice',
    );
    const nodes = data.instances.nodes;
    expect(nodes.length).toBeGreaterThan(1);
    for (const i of nodes) {
      expect(i.securityGroupObjects.map((g: any) => g.name)).toEqual(i.securityGroups);
      expect(i.securityGroupObjects.every((g: any) => g.projectId === projectOf('alice') && g.rules.length === 4)).toBe(true);
    }
    expect(await requestsTo('neutron', '/v2.0/ports')).toHaveLength(1);
    expect(await requestsTo('neutron', '/v2.0/security-groups')).toHaveLength(1);
  });
});

describe('failures', () => {
  it("costs only the failing service's root field, with the error at its path", async () => {
    cloud.setFaults('neutron', { errorRate: 1 });
    const r = await gw.query(
      `{ networks { name } securityGroups { name } volumeTypes { name } images(first: 1) { nodes { name } } }`,
      undefined,
      tokens.alice,
    );
    expect(r.body.data).toMatchObject({ networks: null, securityGroups: null });
    expect(r.body.data!.volumeTypes.length).toBe(3);
    expect(r.body.data!.images.nodes).toHaveLength(1);
    expect(r.body.errors!.map((e: any) => e.path[0]).sort()).toEqual(['networks', 'securityGroups']);
    expect(r.body.errors!.every((e: any) => e.extensions.code === 'UPSTREAM_ERROR' && e.extensions.service === 'neutron')).toBe(true);
  });
});

describe('volume types', () => {
  it('shows members the public types without extra specs, administrators every type with them', async () => {
    const q = `{ volumeTypes { id volumeTypeId name description isPublic extraSpecs } }`;
    const before = (await requestsTo('cinder', '/types')).length;
    const member = (await ok(q, undefined, 'alice')).volumeTypes;
    expect(member.map((t: any) => t.name).sort()).toEqual(['__DEFAULT__', 'hdd', 'ssd']);
    expect(member.every((t: any) => t.isPublic && t.extraSpecs === null)).toBe(true);
    const admin = (await ok(q, undefined, 'admin')).volumeTypes;
    expect(admin.map((t: any) => t.name).sort()).toEqual(['__DEFAULT__', 'hdd', 'replicated', 'ssd']);
    // Cinder shows an admin private types only when asked with is_public=None; a member's listing does not ask.
    const typeCalls = (await requestsTo('cinder', '/types')).slice(before);
    expect(typeCalls).toHaveLength(2);
    expect(typeCalls.filter((r) => r.includes('is_public=None'))).toHaveLength(1);
    expect(typeCalls.filter((r) => !r.includes('is_public'))).toHaveLength(1);
    expect(admin.find((t: any) => t.name === 'ssd').extraSpecs).toEqual({ volume_backend_name: 'ceph' });
    const replicated = admin.find((t: any) => t.name === 'replicated');
    expect(replicated.isPublic).toBe(false);
    const node = `query($id: ID!) { node(id: $id) { ... on VolumeType { name } } }`;
    expect(await ok(node, { id: replicated.id }, 'admin')).toEqual({ node: { name: 'replicated' } });
    expect(await ok(node, { id: replicated.id }, 'alice')).toEqual({ node: null });
  });
});

describe('quotas', () => {
  const QUOTAS = `quotas {
    compute { instances { limit inUse reserved } cores { limit inUse } ramMb { limit inUse } }
    volume { volumes { limit inUse reserved } gigabytes { limit inUse } }
    network { networks { limit inUse } ports { limit inUse } securityGroups { limit inUse } floatingIps { limit inUse } } }`;

  function expectedFor(projectId: string) {
    const servers = cloud.cloud.servers.filter((s) => s.projectId === projectId && s.status !== 'DELETED');
    const flavor = (id: string) => cloud.cloud.flavors.find((f) => f.id === id)!;
    const volumes = cloud.cloud.volumes.filter((v) => v.projectId === projectId);
    return {
      compute: {
        instances: { limit: 10, inUse: servers.length, reserved: 0 },
        cores: { limit: 20, inUse: servers.reduce((n, s) => n + flavor(s.flavorId).vcpus, 0) },
        ramMb: { limit: 51200, inUse: servers.reduce((n, s) => n + flavor(s.flavorId).ram, 0) },
      },
      volume: {
        volumes: { limit: 10, inUse: volumes.length, reserved: 0 },
        gigabytes: { limit: 1000, inUse: volumes.reduce((n, v) => n + v.size, 0) },
      },
      network: {
        networks: { limit: 100, inUse: cloud.cloud.networks.filter((n) => n.projectId === projectId).length },
        ports: { limit: 500, inUse: cloud.cloud.ports.filter((p) => p.projectId === projectId).length },
        securityGroups: { limit: 10, inUse: 2 },
        floatingIps: { limit: 50, inUse: cloud.cloud.floatingIps.filter((f) => f.projectId === projectId).length },
      },
    };
  }

  it("reads a member's own project's quotas and usage from Nova, Cinder and Neutron", async () => {
    const data = await ok(`{ viewer { project { projectId ${QUOTAS} } } }`, undefined, 'alice');
    expect(data.viewer.project.quotas).toEqual(expectedFor(projectOf('alice')));
    expect(data.viewer.project.quotas.compute.instances.inUse).toBeGreaterThan(0);
  });

  it("lets administrators read any project's, and the services refuse a member another project's", async () => {
    const bob = projectOf('bob');
    const data = await ok(`query($id: ID!) { node(id: $id) { ... on Project { ${QUOTAS} } } }`, { id: toGlobalId('Project', bob) }, 'admin');
    expect(data.node.quotas).toEqual(expectedFor(bob));
    // Members cannot reach another project through the graph at all; the upstreams refuse the direct call too.
    const head = { 'x-auth-token': tokens.alice };
    const nova = await fetch(`${cloud.urls.nova}/v2.1/os-quota-sets/${bob}/detail`, { headers: head });
    expect(nova.status).toBe(403);
    expect(await nova.json()).toEqual({
      forbidden: { code: 403, message: "Policy doesn't allow os_compute_api:os-quota-sets:detail to be performed." },
    });
    // Nova's keys follow the microversion: the network quotas go at 2.36, the injected-file ones at 2.57.
    const keysAt = async (version: string) => {
      const res = await fetch(`${cloud.urls.nova}/v2.1/os-quota-sets/${projectOf('alice')}/detail`, {
        headers: { ...head, 'openstack-api-version': `compute ${version}` },
      });
      return Object.keys((await res.json()).quota_set).sort();
    };
    expect(await keysAt('2.79')).toEqual(['cores', 'id', 'instances', 'key_pairs', 'metadata_items', 'ram', 'server_group_members', 'server_groups']);
    expect(await keysAt('2.1')).toEqual(expect.arrayContaining(['floating_ips', 'injected_files', 'security_groups', 'networks']));
  });

  it('nulls only the part whose service fails, with the error at its path', async () => {
    cloud.setFaults('cinder', { failUrlsContaining: 'os-quota-sets' });
    const r = await gw.query(`{ viewer { project { ${QUOTAS} } } }`, undefined, tokens.alice);
    const quotas = r.body.data!.viewer.project.quotas;
    expect(quotas.volume).toBeNull();
    expect(quotas.compute).toEqual(expectedFor(projectOf('alice')).compute);
    expect(quotas.network).toEqual(expectedFor(projectOf('alice')).network);
    expect(r.body.errors).toHaveLength(1);
    expect(r.body.errors![0]).toMatchObject({
      path: ['viewer', 'project', 'quotas', 'volume'],
      extensions: { code: 'UPSTREAM_ERROR', service: 'cinder' },
    });
  });
});

describe('on Apollo Server', () => {
  it('answers the same console query as on Mercurius', async () => {
    const apollo = await startTestGateway(cloud, 'apollo');
    try {
      const q = `{ images(first: 5) { nodes { imageId } } networks { networkId subnets { cidr } } securityGroups { name }
        volumeTypes { name } viewer { project { quotas { compute { instances { inUse } } volume { volumes { inUse } } network { ports { inUse } } } } } }`;
      const [a, m] = await Promise.all([apollo.query(q, undefined, tokens.alice), gw.query(q, undefined, tokens.alice)]);
      expect(a.body.errors).toBeUndefined();
      expect(a.body.data).toEqual(m.body.data);
      expect(a.body.data!.networks.length).toBe(2);
    } finally {
      await apollo.close();
    }
  });
});
