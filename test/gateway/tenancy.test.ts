// Tenancy, on both runtimes: a member (alice, project web) never sees another project's (bob's, data)
// instances, disks, ports, floating IPs or project by any path — lists, lookups by id, node/nodes, nested
// edges, filters — admin-only fields are FORBIDDEN to members, concurrent requests of different callers never
// share what they load, and a request without a valid token gets nothing. DESIGN.md "Tenancy".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken, startTestCloud, type DemoCloud } from '../helpers/cloud.ts';
import { RUNTIMES, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { seedView, type SeedView } from '../helpers/seed-view.ts';
import { toGlobalId } from '../../resolvers/global-id.ts';

const LIST = `query($first: Int, $after: String, $filter: InstanceFilter) {
  instances(first: $first, after: $after, filter: $filter) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { uuid project { projectId } disks { id backend instance { uuid } } ports { id } floatingIps { id port { id } } } }
  }
}`;
const NODES = 'query($ids: [ID!]!) { nodes(ids: $ids) { id __typename } }';
const codes = (errors: any[] | undefined) => (errors ?? []).map((e) => e.extensions?.code);
/** Nothing reached the client: `data` is null, or each root field is (root fields may be nullable). */
const expectNoData = (body: { data?: Record<string, unknown> | null }) => {
  for (const value of Object.values(body.data ?? {})) expect(value).toBeNull();
};

let cloud: DemoCloud;
let seed: SeedView;
const tokens: Record<'admin' | 'alice' | 'bob', string> = { admin: '', alice: '', bob: '' };

/** Everything of one project a member may see, as global ids (and raw uuids for instances). */
function ownedBy(projectId: string) {
  const c = cloud.cloud;
  const servers = seed.serversOf(projectId);
  const withLegacy = servers.find((s) => seed.legacyDisksOf(s.id).length > 0)!;
  return {
    projectId,
    servers,
    instanceUuids: new Set(servers.map((s) => s.id)),
    diskIds: new Set([
      ...c.volumes.filter((v) => v.projectId === projectId).map((v) => toGlobalId('Disk', `cinder:${v.id}`)),
      ...servers.flatMap((s) => seed.legacyDisksOf(s.id)).map((d) => toGlobalId('Disk', `legacy:${d.id}`)),
    ]),
    portIds: new Set(c.ports.filter((p) => p.projectId === projectId).map((p) => toGlobalId('Port', p.id))),
    floatingIpIds: new Set(c.floatingIps.filter((f) => f.projectId === projectId).map((f) => toGlobalId('FloatingIp', f.id))),
    /** One object of each kind: an instance with a legacy disk, its Cinder and legacy disks, a port, a floating IP, the project. */
    sampleIds: [
      toGlobalId('Instance', withLegacy.id),
      toGlobalId('Disk', `cinder:${seed.volumesOf(withLegacy.id)[0].id}`),
      toGlobalId('Disk', `legacy:${seed.legacyDisksOf(withLegacy.id)[0].id}`),
      toGlobalId('Disk', `cinder:${c.volumes.find((v) => v.projectId === projectId && v.attachments.length === 0)!.id}`),
      toGlobalId('Port', seed.portsOf(withLegacy.id)[0].id),
      toGlobalId('FloatingIp', c.floatingIps.find((f) => f.projectId === projectId)!.id),
      toGlobalId('Project', projectId),
    ],
  };
}
type Owned = ReturnType<typeof ownedBy>;
let alice: Owned;
let bob: Owned;

/** Asserts that every instance of a list answer, and everything nested in it, belongs to `owner`. */
function expectOnlyOwn(edges: any[], owner: Owned) {
  for (const { node } of edges) {
    expect(owner.instanceUuids.has(node.uuid)).toBe(true);
    expect(node.project.projectId).toBe(owner.projectId);
    for (const d of node.disks) {
      expect(owner.diskIds.has(d.id)).toBe(true);
      expect(d.instance.uuid).toBe(node.uuid);
    }
    for (const p of node.ports) expect(owner.portIds.has(p.id)).toBe(true);
    for (const f of node.floatingIps) {
      expect(owner.floatingIpIds.has(f.id)).toBe(true);
      expect(owner.portIds.has(f.port.id)).toBe(true);
    }
  }
}

beforeAll(async () => {
  cloud = await startTestCloud({ size: 'small' });
  seed = seedView(cloud.cloud);
  for (const name of ['admin', 'alice', 'bob'] as const) tokens[name] = (await issueToken(cloud, name)).token;
  alice = ownedBy(seed.projectIdOf('alice'));
  bob = ownedBy(seed.projectIdOf('bob'));
});
afterAll(() => cloud?.close());

describe.each(RUNTIMES)('tenancy on %s', (runtime) => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway(cloud, runtime);
  });
  afterAll(() => gw?.close());

  it("lists only the member's own instances, with their own disks, ports and floating IPs, on every page", async () => {
    const edges: any[] = [];
    let after: string | null = null;
    for (let page = 0; page < 20; page++) {
      const { body }: { body: any } = await gw.query(LIST, { first: 15, after }, tokens.alice);
      expect(body.errors).toBeUndefined();
      expect(body.data.instances.totalCount).toBe(alice.servers.length);
      edges.push(...body.data.instances.edges);
      if (!body.data.instances.pageInfo.hasNextPage) break;
      after = body.data.instances.pageInfo.endCursor;
    }
    expect(edges.map((e) => e.node.uuid).sort()).toEqual([...alice.instanceUuids].sort());
    expectOnlyOwn(edges, alice);
    // The nested edges are not vacuously empty.
    expect(edges.some((e) => e.node.disks.some((d: any) => d.backend === 'LEGACY'))).toBe(true);
    expect(edges.some((e) => e.node.floatingIps.length > 0)).toBe(true);
  });

  it("answers null, without an error, for another project's objects by instance(id), node(id) and nodes(ids)", async () => {
    const bobInstance = bob.servers.find((s) => seed.legacyDisksOf(s.id).length > 0)!;
    const q = 'query($gid: ID!, $uuid: ID!) { byGid: instance(id: $gid) { name } byUuid: instance(id: $uuid) { name } node(id: $gid) { id } }';
    const one = await gw.query(q, { gid: toGlobalId('Instance', bobInstance.id), uuid: bobInstance.id }, tokens.alice);
    expect(one.body).toEqual({ data: { byGid: null, byUuid: null, node: null } });

    const orphan = cloud.cloud.legacyDisks.find((d) => d.instanceUuid === null)!;
    // Also hidden: an unattached legacy disk (administrators only), a host, another project's private image.
    const otherPrivateImage = cloud.cloud.images.find((i) => i.visibility === 'private' && i.owner !== alice.projectId)!;
    const extras = [toGlobalId('Disk', `legacy:${orphan.id}`), toGlobalId('Host', 1), toGlobalId('Image', otherPrivateImage.id)];
    const hidden = [...bob.sampleIds, ...extras];
    for (const id of hidden) {
      const { body } = await gw.query('query($id: ID!) { node(id: $id) { id } }', { id }, tokens.alice);
      expect(body, id).toEqual({ data: { node: null } });
    }
    const many = await gw.query(NODES, { ids: [...alice.sampleIds, ...hidden] }, tokens.alice);
    expect(many.body.errors).toBeUndefined();
    expect(many.body.data.nodes.map((n: any) => n?.id ?? null)).toEqual([...alice.sampleIds, ...hidden.map(() => null)]);
    // The same ids are real: their owner sees them, and so does an administrator.
    for (const [token, ids] of [
      [tokens.bob, bob.sampleIds],
      [tokens.admin, [...bob.sampleIds, ...alice.sampleIds, ...extras]],
    ] as const) {
      const { body } = await gw.query(NODES, { ids }, token);
      expect(body.errors).toBeUndefined();
      expect(body.data.nodes.map((n: any) => n?.id ?? null)).toEqual(ids);
    }
  });

  it("refuses a member's filter on another project and never widens the member's scope with other filters", async () => {
    const refused = await gw.query(LIST, { filter: { projectId: bob.projectId } }, tokens.alice);
    expectNoData(refused.body);
    expect(refused.body.errors).toEqual([
      expect.objectContaining({ path: ['instances'], extensions: expect.objectContaining({ code: 'FORBIDDEN' }) }),
    ]);

    const bobServer = bob.servers[0];
    const [byName, byZone, own] = await Promise.all([
      gw.query(LIST, { filter: { name: bobServer.name } }, tokens.alice),
      gw.query(LIST, { filter: { zone: bobServer.zone } }, tokens.alice),
      gw.query(LIST, { filter: { projectId: alice.projectId }, first: 1000 }, tokens.alice),
    ]);
    expect(byName.body.data.instances.totalCount).toBe(0);
    expect(byZone.body.data.instances.totalCount).toBe(alice.servers.filter((s) => s.zone === bobServer.zone).length);
    expectOnlyOwn(byZone.body.data.instances.edges, alice);
    expect(own.body.data.instances.totalCount).toBe(alice.servers.length);
    expectOnlyOwn(own.body.data.instances.edges, alice);
  });

  it('hides admin-only fields from members with FORBIDDEN at their path', async () => {
    const zonesOnly = await gw.query('{ zones { name } }', {}, tokens.alice);
    expect(zonesOnly.body).toEqual({ data: { zones: cloud.cloud.zones.map((z) => ({ name: z.name })) } });

    const withHosts = await gw.query('{ zones { name hosts { hostname } } }', {}, tokens.alice);
    for (const zone of withHosts.body.data?.zones ?? []) expect(zone.hosts).toBeNull();
    expect(new Set(codes(withHosts.body.errors))).toEqual(new Set(['FORBIDDEN']));
    for (const e of withHosts.body.errors ?? []) expect(e.path).toEqual(['zones', expect.any(Number), 'hosts']);

    const fleet = await gw.query('{ fleet { zones { hostCount } } }', {}, tokens.alice);
    expectNoData(fleet.body);
    expect(fleet.body.errors).toEqual([expect.objectContaining({ path: ['fleet'], extensions: expect.objectContaining({ code: 'FORBIDDEN' }) })]);

    const host = await gw.query('query($id: ID!) { host(id: $id) { hostname } }', { id: toGlobalId('Host', 1) }, tokens.alice);
    expect(host.body.data).toEqual({ host: null });
    expect(host.body.errors).toEqual([expect.objectContaining({ path: ['host'], extensions: expect.objectContaining({ code: 'FORBIDDEN' }) })]);

    const own = alice.servers[0];
    const placement = await gw.query('query($id: ID!) { instance(id: $id) { name host { hostname } } }', { id: own.id }, tokens.alice);
    expect(placement.body.data).toEqual({ instance: { name: own.name, host: null } });
    expect(placement.body.errors).toEqual([
      expect.objectContaining({ path: ['instance', 'host'], extensions: expect.objectContaining({ code: 'FORBIDDEN' }) }),
    ]);
  });

  it('shows an administrator both projects, hosts, placement and the fleet', async () => {
    const [all, ofBob, hosts, fleet, placed] = await Promise.all([
      gw.query('{ instances(first: 0) { totalCount } }', {}, tokens.admin),
      gw.query(LIST, { filter: { projectId: bob.projectId }, first: 1000 }, tokens.admin),
      gw.query('{ zones { hosts { hostname } } }', {}, tokens.admin),
      gw.query('{ fleet { zones { instanceCount } } }', {}, tokens.admin),
      gw.query(
        'query($a: ID!, $b: ID!) { a: instance(id: $a) { host { hostname } } b: instance(id: $b) { host { hostname } } }',
        { a: alice.servers[0].id, b: bob.servers[0].id },
        tokens.admin,
      ),
    ]);
    for (const r of [all, ofBob, hosts, fleet, placed]) expect(r.body.errors).toBeUndefined();
    expect(all.body.data.instances.totalCount).toBe(cloud.cloud.servers.length);
    expect(ofBob.body.data.instances.totalCount).toBe(bob.servers.length);
    expectOnlyOwn(ofBob.body.data.instances.edges, bob);
    expect(hosts.body.data.zones.flatMap((z: any) => z.hosts)).toHaveLength(cloud.cloud.hosts.length);
    expect(fleet.body.data.fleet.zones.reduce((n: number, z: any) => n + z.instanceCount, 0)).toBe(cloud.cloud.servers.length);
    expect(placed.body.data).toEqual({ a: { host: { hostname: alice.servers[0].host } }, b: { host: { hostname: bob.servers[0].host } } });
  });

  it("keeps concurrent requests of different callers apart: each answer holds only its caller's objects", async () => {
    const q = `query($ids: [ID!]!, $first: Int!) {
      viewer { userName project { projectId } }
      instances(first: $first) { totalCount edges { node { uuid project { projectId } disks { id backend instance { uuid } } ports { id } floatingIps { id port { id } } } } }
      nodes(ids: $ids) { id }
    }`;
    const ids = [...alice.sampleIds, ...bob.sampleIds];
    const who: ('alice' | 'bob' | 'admin')[] = [];
    for (let i = 0; i < 20; i++) who.push('alice', 'bob', ...(i % 5 === 0 ? ['admin' as const] : []));
    // Administrators' answers are one page: they are here to share the gateway's caches, not to be read whole.
    const answers = await Promise.all(who.map((name) => gw.query(q, { ids, first: name === 'admin' ? 20 : 1000 }, tokens[name])));
    answers.forEach(({ body }, i) => {
      const name = who[i];
      expect(body.errors).toBeUndefined();
      expect(body.data.viewer.userName).toBe(name);
      if (name === 'admin') {
        expect(body.data.instances.totalCount).toBe(cloud.cloud.servers.length);
        expect(body.data.instances.edges).toHaveLength(20);
        expect(body.data.nodes.map((n: any) => n?.id ?? null)).toEqual(ids);
        return;
      }
      const [own, other] = name === 'alice' ? [alice, bob] : [bob, alice];
      expect(body.data.viewer.project.projectId).toBe(own.projectId);
      expect(body.data.instances.totalCount).toBe(own.servers.length);
      expectOnlyOwn(body.data.instances.edges, own);
      const expectedNodes =
        name === 'alice' ? [...own.sampleIds, ...other.sampleIds.map(() => null)] : [...other.sampleIds.map(() => null), ...own.sampleIds];
      expect(body.data.nodes.map((n: any) => n?.id ?? null)).toEqual(expectedNodes);
    });
  });

  it('answers UNAUTHENTICATED to a request without a token or with a garbage token, with no data', async () => {
    for (const token of [undefined, 'garbage-token', `${tokens.alice}x`]) {
      const { status, body } = await gw.query('{ instances { totalCount } zones { name } }', {}, token);
      expect(status).toBeLessThan(500);
      expectNoData(body);
      expect(body.errors?.length).toBeGreaterThan(0);
      expect(new Set(codes(body.errors))).toEqual(new Set(['UNAUTHENTICATED']));
    }
  });

  it('lets an anonymous caller log in, and the token it gets sees only its own project', async () => {
    const login = await gw.query('mutation { login(username: "bob", password: "bob") { token viewer { userName } } }');
    expect(login.status).toBe(200);
    expect(login.body.errors).toBeUndefined();
    expect(login.body.data.login.viewer.userName).toBe('bob');
    const { body } = await gw.query(LIST, { first: 1000 }, login.body.data.login.token);
    expect(body.data.instances.totalCount).toBe(bob.servers.length);
    expectOnlyOwn(body.data.instances.edges, bob);
  });
});

describe.each(RUNTIMES)('expired tokens on %s', (runtime) => {
  const TTL_MS = 1000;
  let shortCloud: DemoCloud;
  let gw: TestGateway;
  beforeAll(async () => {
    shortCloud = await startTestCloud({ size: 'tiny', tokenTtlMs: TTL_MS });
    gw = await startTestGateway(shortCloud, runtime);
  });
  afterAll(async () => {
    await gw?.close();
    await shortCloud?.close();
  });

  it('answers UNAUTHENTICATED once a token has expired, though the gateway validated it before', async () => {
    const { token, body: issued } = await issueToken(shortCloud, 'alice');
    const before = await gw.query('{ instances { totalCount } }', {}, token);
    expect(before.body.errors).toBeUndefined();
    expect(before.body.data.instances.totalCount).toBeGreaterThan(0);
    const wait = new Date(issued.token.expires_at).getTime() - Date.now() + 100;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, wait)));
    const after = await gw.query('{ instances { totalCount } }', {}, token);
    expectNoData(after.body);
    expect(new Set(codes(after.body.errors))).toEqual(new Set(['UNAUTHENTICATED']));
  });
});
