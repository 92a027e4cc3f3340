// The query-cost limit (server.maxCost): what a query will fetch is estimated from the list lengths this tenant
// scope's answers have shown, before any upstream call, on both runtimes — so the host ↔ instances cycle is
// refused at once while the whole fleet tree, which costs what the cloud really holds, runs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSchema, parse, type FragmentDefinitionNode, type GraphQLObjectType, type OperationDefinitionNode } from 'graphql';
import { issueToken, startTestCloud, type DemoCloud } from '../helpers/cloud.ts';
import { RUNTIMES, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { readTypeDefs } from '../../server/schema.ts';
import { tenantScope } from '../../core/caller.ts';
import { assumedLength, estimateCost, PRIOR_LIST_LENGTH, UPSTREAM_CALL_WEIGHT } from '../../server/limits/estimate-cost.ts';

const schema = buildSchema(readTypeDefs());

function cost(query: string, learned: Record<string, number> = {}, variables: Record<string, unknown> = {}): number {
  const doc = parse(query);
  const operation = doc.definitions.find((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition')!;
  const fragments = Object.fromEntries(
    doc.definitions.filter((d): d is FragmentDefinitionNode => d.kind === 'FragmentDefinition').map((f) => [f.name.value, f]),
  );
  return estimateCost({ schema, operation, fragments, variables, learned: (c) => learned[c] });
}

/** What `instances` costs for the server list it reads before any was seen: one page of 50, 3 values each. */
const INSTANCES_READ = 50 * 3;

/** The cycle an admin could walk within the depth limit: instances → host → instances → … */
const CYCLE = '{ zones { hosts { instances { host { instances { host { instances { host { instances { name } } } } } } } } } }';

describe('estimateCost', () => {
  it('multiplies each list by its learned length: one value per object and per leaf', () => {
    const learned = { 'Query.zones': 2, 'Zone.hosts': 3, 'Host.instances': 4 };
    // zones: 2 × (1 + name 1 + hosts 3 × (1 + hostname 1 + instances 4 × (1 + name 1)))
    expect(cost('{ zones { name hosts { hostname instances { name } } } }', learned)).toBe(2 * (1 + 1 + 3 * (1 + 1 + 4 * 2)));
  });

  it('assumes the schema’s @listSize for lists no answer has shown, and a prior where it gives none', () => {
    expect(cost('{ zones { name } }')).toBe(5 * 2); // Query.zones @listSize(assumedSize: 5)
    // `instances` also reads the caller's whole server list (UPSTREAM_READS): unseen, one page of 50 × 3.
    expect(cost('{ instances { nodes { ports { fixedIps { ipAddress } } } } }')).toBe(1 + INSTANCES_READ + 50 * (1 + 2 * (1 + 2 * 2)));
    const roles = schema.getType('Viewer') as GraphQLObjectType;
    expect(assumedLength(roles.getFields().roles)).toBe(3);
    expect(assumedLength(schema.getQueryType()!.getFields().node)).toBe(PRIOR_LIST_LENGTH);
  });

  it('counts the ids asked for and caps a connection by its first', () => {
    expect(cost('query ($ids: [ID!]!) { nodes(ids: $ids) { id } }', {}, { ids: ['a', 'b', 'c'] })).toBe(3 * 2);
    // The connection object (1) + pageInfo… no: nodes capped by first: 5 even though 40 were seen per page.
    expect(cost('{ instances(first: 5) { nodes { name } } }', { 'InstanceConnection.nodes': 40 })).toBe(1 + INSTANCES_READ + 5 * 2);
    expect(cost('{ instances(first: 50) { nodes { name } } }', { 'InstanceConnection.nodes': 12 })).toBe(1 + INSTANCES_READ + 12 * 2);
  });

  it('costs a plain list by its own first (at most 1000), which caps nothing below it', () => {
    // networks is a list, not a connection: first: 1000 may bring 1000 networks.
    expect(cost('{ networks(first: 1000) { name } }', { 'Query.networks': 3 })).toBe(1000 * 2);
    expect(cost('{ securityGroups(first: 5000) { name } }')).toBe(1000 * 2);
    expect(cost('{ networks(first: 2) { name } }', { 'Query.networks': 30 })).toBe(2 * 2);
    // Its first is no cap on the lists of each network: subnets keep their learned length.
    expect(cost('{ networks(first: 2) { subnets { name } } }', { 'Network.subnets': 7 })).toBe(2 * (1 + 7 * 2));
    // Without first, the learned (or assumed) length as before.
    expect(cost('{ networks { name } }', { 'Query.networks': 3 })).toBe(3 * 2);
  });

  it('costs the upstream calls a project’s quotas and a host’s usage make per object, so thousands of them are refused', () => {
    // Each quota part is one GET per project (no multi-project form): UPSTREAM_CALL_WEIGHT values each.
    const quotas = '{ instances { nodes { project { quotas { compute { cores { limit } } volume { volumes { limit } } } } } } }';
    const perProject = 1 + 1 + 1 + (1 + UPSTREAM_CALL_WEIGHT + 2) * 2; // node, project, quotas, 2 × (part + its GET + usage and limit)
    expect(cost(quotas, { 'InstanceConnection.nodes': 10 })).toBe(1 + INSTANCES_READ + 10 * perProject);
    // A host's Placement usage: two GETs per host.
    const usage = '{ zones { hosts { usage { source } } } }';
    expect(cost(usage, { 'Query.zones': 2, 'Zone.hosts': 3 })).toBe(2 * (1 + 3 * (1 + 1 + 2 * UPSTREAM_CALL_WEIGHT + 1)));
    expect(cost(usage, { 'Query.zones': 1, 'Zone.hosts': 2_000 })).toBeGreaterThan(250_000); // server.maxCost's default
  });

  it('costs the dashboard and the instance list by the server records they read, not only what they answer with', () => {
    const dashboard = '{ fleet { zones { instanceCount } } }';
    // fleet (1 + records × 3) + zones 5 (@listSize) × (object + figure): cold, a full page of 1000 servers.
    expect(cost(dashboard)).toBe(1 + 1000 * 3 + 5 * 2);
    // A medium cloud's 4,000 servers make it heavy (server.heavyCost 2,000) though it answers with a few figures.
    expect(cost(dashboard, { 'Query.fleet#records': 4000, 'Fleet.zones': 4 })).toBe(1 + 4000 * 3 + 4 * 2);
    // So does a member's first page of 50 when the project holds 809 servers (my-instances at medium).
    expect(cost('{ instances(first: 50) { nodes { name } } }', { 'Query.instances#records': 809 })).toBe(1 + 809 * 3 + 50 * 2);
  });

  it('costs a fragment once wherever it is spread, so a doubling chain is estimated at once', () => {
    const levels = 60;
    const fragments = Array.from({ length: levels }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`);
    const query = `query { ...F0 }\n${fragments.join('\n')}\nfragment F${levels} on Query { zones { name } }`;
    expect(cost(query, { 'Query.zones': 1 })).toBeGreaterThan(1e15 - 1);
  });

  it('grows by the fan-out at every turn of a cycle', () => {
    const learned = { 'Query.zones': 3, 'Zone.hosts': 10, 'Host.instances': 10 };
    expect(cost(CYCLE, learned)).toBeGreaterThan(3 * 10 * 10 ** 4);
  });
});

describe.each(RUNTIMES)('the cost limit over HTTP on %s', (runtime) => {
  let cloud: DemoCloud;
  let gw: TestGateway;
  let admin: string;
  const stats = async () => {
    const totals = await Promise.all(
      ['nova', 'legacy', 'cinder', 'glance'].map(
        async (s) => (await (await fetch(`${cloud.urls[s as 'nova']}/_emulator/stats`)).json()) as { total: number },
      ),
    );
    return totals.reduce((sum, t) => sum + t.total, 0);
  };

  beforeAll(async () => {
    cloud = await startTestCloud();
    gw = await startTestGateway(cloud, runtime, { server: { port: 0, runtime, maxCost: 3_000 } });
    admin = (await issueToken(cloud, 'admin')).token;
  });
  afterAll(async () => {
    await gw?.close();
    await cloud?.close();
  });

  it('learns what each list holds from the answers, then refuses the cycle before any upstream call', async () => {
    // Cold, lists are estimated at their @listSize: 5 zones × (1 + 20 hosts × 2) = 205 values, under the limit; the
    // answer teaches the zones and hosts, and the next one the instances per host.
    for (const query of ['{ zones { hosts { hostname } } }', '{ zones { hosts { instances { name } } } }']) {
      expect((await gw.query(query, {}, admin)).body.errors).toBeUndefined();
    }
    // Learned: what each zone and host of this cloud holds — so the deeper tree now fits too.
    const tree = await gw.query('{ zones { name hosts { hostname instances { name disks { sizeGb } } } } }', {}, admin);
    expect(tree.body.errors).toBeUndefined();
    expect(tree.body.data.zones.length).toBe(cloud.cloud.zones.length);

    cloud.resetStats();
    const { status, body } = await gw.query(CYCLE, {}, admin);
    expect(await stats()).toBe(0);
    expect(status).toBe(200);
    expect(body.data).toEqual({ zones: null });
    expect(body.errors).toHaveLength(1);
    expect(body.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', mosaicCode: 'MOSAIC_ERR_TOO_COSTLY' });
    expect(body.errors![0].message).toMatch(/^This query would fetch about \d+ values; the limit is 3000 \(server\.maxCost\)\.$/);
    const estimate = Number(/about (\d+)/.exec(body.errors![0].message)![1]);
    // Exactly what the answers showed (means over fewer than 50 lists are plain means).
    const zones = tree.body.data.zones as { hosts: { instances: unknown[] }[] }[];
    const hosts = zones.flatMap((z) => z.hosts);
    const instances = hosts.flatMap((h) => h.instances);
    const learned = { 'Query.zones': zones.length, 'Zone.hosts': hosts.length / zones.length, 'Host.instances': instances.length / hosts.length };
    expect(Math.abs(estimate - cost(CYCLE, learned))).toBeLessThanOrEqual(1);
  });

  it('learns how many servers the dashboard read from its answer', async () => {
    // The default limit: cold, a dashboard is estimated at a full page of servers (3,011 values, over this suite's 3,000).
    const plain = await startTestGateway(cloud, runtime);
    try {
      const login = await issueToken(cloud, 'admin');
      const { body } = await plain.query('{ fleet { zones { instanceCount } } }', {}, login.token);
      expect(body.errors).toBeUndefined();
      const servers = body.data.fleet.zones.reduce((n: number, z: { instanceCount: number }) => n + z.instanceCount, 0);
      expect(servers).toBe(cloud.cloud.servers.filter((s) => s.status !== 'DELETED').length);
      const { user, project, roles } = login.body.token;
      const scope = tenantScope({ userId: user.id, projectId: project.id, roles: roles.map((r: { name: string }) => r.name) });
      expect(plain.services.cardinality.mean(scope, 'Query.fleet#records')).toBe(servers);
    } finally {
      await plain.close();
    }
  });

  it('refuses every root field of a costly operation and leaves the next request alone', async () => {
    const { body } = await gw.query(`{ cheap: zones { name } ${CYCLE.slice(1, -1)} }`, {}, admin);
    expect(body.data).toEqual({ cheap: null, zones: null });
    expect(body.errors!.map((e) => e.extensions.mosaicCode)).toEqual(['MOSAIC_ERR_TOO_COSTLY', 'MOSAIC_ERR_TOO_COSTLY']);
    const next = await gw.query('{ viewer { userName } }', {}, admin);
    expect(next.body).toEqual({ data: { viewer: { userName: 'admin' } } });
  });

  it('keeps what one tenant scope learned out of another’s estimates', async () => {
    const alice = (await issueToken(cloud, 'alice')).token;
    // Cold for alice: every list at its @listSize (5 zones × 20 hosts × 20 instances), over the limit.
    const { body } = await gw.query('{ zones { hosts { instances { name disks { sizeGb } } } } }', {}, alice);
    expect(body.errors![0].extensions.mosaicCode).toBe('MOSAIC_ERR_TOO_COSTLY');
    expect(body.errors![0].message).toContain(`about ${cost('{ zones { hosts { instances { name disks { sizeGb } } } } }')} values`);
  });
});
