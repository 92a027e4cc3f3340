// The billing subgraph federated into the graph (README "Federated subgraphs"), all real servers: the test cloud,
// the billing subgraph on port 0 with its data in MongoDB, and the gateway over HTTP on both runtimes. The billing
// server records every request it receives, so calls per level, the forwarded selections and the headers are
// read where they arrive.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { issueToken, startTestCloud, type DemoCloud } from '../helpers/cloud.ts';
import { RUNTIMES, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { mongoSkipReason, openTestDb, type TestDb } from '../helpers/mongo.ts';
import { startBillingSubgraph, type BillingServer } from '../../subgraphs/billing/server.ts';
import { flavorMicros, seedPrices, volumeKey } from '../../subgraphs/billing/prices.ts';
import { BILLING_SDL } from '../../subgraphs/billing/schema.ts';
import { usageOf } from '../../subgraphs/billing/usage.ts';
import { buildClientSchema, getIntrospectionQuery, type GraphQLSchema } from 'graphql';
import { entityFieldsOf, entityLevels } from '../../bench/federation-floors.ts';
import { loadWorkloads } from '../../bench/workloads.ts';
import { identityHeaders } from '../../server/federation/caller-identity.ts';
import { callerOf } from '../../subgraphs/billing/trust.ts';
import { validateConfig } from '../../core/config.ts';
import { buildSchema } from '../../server/schema.ts';
import { LevelTracker, reachMasks } from '../../server/federation/level-tracker.ts';

const SECRET = 'billing-test-secret-0123456789';
const PROJECT_BILL = readFileSync(new URL('../fixtures/federation/project-bill.graphql', import.meta.url), 'utf8');
const fixture = (name: string) => readFileSync(new URL(`../fixtures/federation/${name}.graphql`, import.meta.url), 'utf8');
const JANUARY = { from: '2026-01-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z' };
const GB_MONTH_MS = 730n * 3_600_000n;

/**
 * A volume's cents over [from, to), by brute force: the price per GB-month times GB times the milliseconds it
 * lived within the window over a 730-hour month, in micro-euros, rounded half up to the cent. Independent of
 * billing's usage.ts (a single price per key, as the seeded list has).
 */
function volumeCents(micros: number, sizeGb: number, created: Date, deleted: Date | null, from: Date, to: Date): bigint {
  const ms = Math.min(to.getTime(), (deleted ?? to).getTime()) - Math.max(from.getTime(), created.getTime());
  if (ms <= 0) return 0n;
  const num = BigInt(micros) * BigInt(sizeGb) * BigInt(ms);
  const den = GB_MONTH_MS * 10_000n;
  const q = num / den;
  return 2n * (num % den) >= den ? q + 1n : q;
}
const amountOf = (cents: bigint) => `${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`;

const subgraphConfig = (url: string, timeoutMs = 3_000) => ({ subgraphs: [{ name: 'billing', url, secret: SECRET, timeoutMs }] });
const entityCalls = (billing: BillingServer) => billing.requests.filter((r) => r.body?.query?.includes('_entities'));

/** A server answering `_service { sdl }` with the given SDL: enough to make the gateway compose it at start-up. */
async function sdlServer(sdl: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((_, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ data: { _service: { sdl } } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('caller identity', () => {
  it('is signed by the gateway in a form the subgraph verifies, and a changed project fails the check', () => {
    const headers = identityHeaders(SECRET, { userId: 'u1', projectId: 'p1', roles: ['member', 'reader'] });
    expect(callerOf(headers, SECRET)).toEqual({ userId: 'u1', projectId: 'p1', roles: ['member', 'reader'], isAdmin: false });
    expect(callerOf({ ...headers, 'x-mosaic-project-id': 'p2' }, SECRET)).toBe('invalid');
    expect(callerOf(headers, 'another-secret-0123456789')).toBe('invalid');
    expect(callerOf(identityHeaders(SECRET, { userId: 'u1', projectId: 'p1', roles: [] }, Date.now() - 10 * 60_000), SECRET)).toBe('invalid');
  });
});

describe('the level of an entity batch', () => {
  // Mosaic's own schema: which types can still bring a Disk or a Project, and in how many steps.
  const masks = reachMasks(buildSchema(), new Set(['Disk', 'Project']));
  const steps = (type: string) => [...Array(8).keys()].filter((i) => ((masks.get(type) ?? 0) & (1 << i)) !== 0);

  it('knows in how many steps each type reaches an extended entity', () => {
    expect(steps('Disk')).toContain(0);
    expect(steps('Instance')).toEqual(expect.arrayContaining([1])); // instance.disks, instance.project
    expect(steps('Host')).toEqual(expect.arrayContaining([2])); // host.instances.disks
    expect(steps('Host')).not.toContain(0);
    expect(steps('Money' as string)).toEqual([]);
  });

  it('dispatches a batch once no running resolver can add a parent at its depth, not when every call has settled', async () => {
    const tracker = new LevelTracker(1_000);
    const order: string[] = [];
    let endHosts!: () => void;
    let endDisks!: () => void;
    // A zone's hosts still loading at depth 2 (Disks could come from them only at depth 4), an instance's disks at depth 2.
    tracker.track(
      2,
      masks.get('Host')!,
      new Promise<void>((r) => (endHosts = r)).then(() => void order.push('hosts')),
    );
    tracker.track(
      2,
      masks.get('Disk')!,
      new Promise<void>((r) => (endDisks = r)).then(() => void order.push('disks')),
    );
    const dispatched = new Promise<void>((resolve) => tracker.schedule(2, () => resolve(void order.push('batch of depth 2'))));
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual([]); // the disks may still add parents
    endDisks();
    await dispatched;
    expect(order).toEqual(['disks', 'batch of depth 2']); // without waiting for the hosts
    endHosts();
  });
});

describe('the subgraphs option', () => {
  const base = { subgraphs: [{ name: 'billing', url: 'http://billing:4001/graphql/', secret: SECRET }] };
  it('is checked like every option, with its path in the message', () => {
    const config = validateConfig(base);
    expect(config.subgraphs).toEqual([{ name: 'billing', url: 'http://billing:4001/graphql', secret: SECRET, timeoutMs: 5_000 }]);
    expect(Object.isFrozen(config.subgraphs[0])).toBe(true);
    // Its timeout reaches the one HTTP client as the subgraph's upstream settings, never retried (POSTs).
    expect((config.upstreams as Record<string, unknown>).billing).toEqual({ timeoutMs: 5_000, retries: 0 });
    expect(() => validateConfig({ subgraphs: { name: 'billing' } })).toThrow(/"subgraphs" must be a list/);
    expect(() => validateConfig({ subgraphs: [{ name: 'billing', url: 'http://b/graphql' }] })).toThrow(/"subgraphs\[0\]\.secret" is required/);
    expect(() => validateConfig({ subgraphs: [{ ...base.subgraphs[0], prot: 1 }] })).toThrow(/unknown option "subgraphs\[0\]\.prot"/);
    expect(() => validateConfig({ subgraphs: [{ ...base.subgraphs[0], url: 'ftp://x' }] })).toThrow(/"subgraphs\[0\]\.url" must be an http\(s\) URL/);
    expect(() => validateConfig({ subgraphs: [{ ...base.subgraphs[0], name: 'nova' }] })).toThrow(
      /"subgraphs\[0\]\.name" must be unique and not a built-in service/,
    );
    expect(() => validateConfig({ subgraphs: [base.subgraphs[0], base.subgraphs[0]] })).toThrow(/"subgraphs\[1\]\.name" must be unique/);
  });
});

describe.skipIf(mongoSkipReason)('the billing subgraph federated', () => {
  let cloud: DemoCloud;
  let db: TestDb;
  let billing: BillingServer;
  let adminToken: string;
  let aliceToken: string;

  beforeAll(async () => {
    cloud = await startTestCloud({ size: 'tiny' });
    db = await openTestDb('federation');
    billing = await startBillingSubgraph({ db: db.db, secret: SECRET, seedFrom: cloud.cloud });
    [adminToken, aliceToken] = (await Promise.all([issueToken(cloud, 'admin'), issueToken(cloud, 'alice')])).map((t) => t.token);
  });
  afterAll(async () => {
    await billing?.close();
    await db?.close();
    await cloud?.close();
  });
  beforeEach(() => {
    billing.reset();
    billing.delayMs = 0;
  });

  const projectIdOf = (name: string) => cloud.cloud.projects.find((p) => p.name === name)!.id;

  it('refuses a request without the gateway secret, or with a caller identity it did not sign', async () => {
    const ask = (headers: Record<string, string>) =>
      fetch(billing.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query: '{ prices { key } }' }),
      });
    expect((await ask({})).status).toBe(401);
    expect((await ask({ 'x-mosaic-gateway-secret': 'not-the-secret-0123456789' })).status).toBe(401);
    const forged = { ...identityHeaders(SECRET, { userId: 'u', projectId: 'p', roles: ['member'] }), 'x-mosaic-roles': 'admin' };
    expect((await ask(forged)).status).toBe(401);
    // The secret alone is the gateway itself (it reads the SDL so): no caller, so no billing data.
    const anonymous = await ask(identityHeaders(SECRET, null));
    expect(anonymous.status).toBe(200);
    expect((await anonymous.json()).errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('refuses to start the gateway when a subgraph redefines a Mosaic field with another type, naming both', async () => {
    const bad = await sdlServer(
      'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])\n' +
        'type Instance @key(fields: "uuid") { uuid: ID! name: Int }\ntype Query { ping: Int }',
    );
    try {
      const start = startTestGateway(cloud, 'mercurius', { subgraphs: [{ name: 'inventory', url: bad.url, secret: SECRET }] });
      await expect(start).rejects.toMatchObject({ code: 'MOSAIC_ERR_CONFIG' });
      await expect(start).rejects.toThrow(
        /subgraph "inventory".*\n.*Instance\.name.*"Int" in subgraph "inventory" but type "String" in subgraph "mosaic"/,
      );
    } finally {
      await bad.close();
    }
  });

  it('refuses to start the gateway when a subgraph cannot be read', async () => {
    await expect(startTestGateway(cloud, 'mercurius', subgraphConfig('http://127.0.0.1:9/graphql', 500))).rejects.toThrow(
      /subgraph "billing" \(http:\/\/127\.0\.0\.1:9\/graphql\): cannot read its SDL/,
    );
  });

  describe.each(RUNTIMES)('through the gateway on %s', (runtime) => {
    let gw: TestGateway;
    let schema: GraphQLSchema | undefined;
    beforeAll(async () => {
      gw = await startTestGateway(cloud, runtime, subgraphConfig(billing.url));
    });
    afterAll(() => gw?.close());

    it('fetches every instance cost of a fleet tree with one _entities call per level, forwarding only the selected fields', async () => {
      const period = { from: '2026-01-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z' };
      // Asked twice: Mercurius compiles a query with graphql-jit once it has run, so the second answer is the JIT's.
      const ask = () =>
        gw.query(
          `query($p: BillingPeriod!) { zones { name hosts { hostname instances { uuid name cost(period: $p) { amount currency }
           project { name costSoFar { amount } } } } } }`,
          { p: period },
          adminToken,
        );
      await ask();
      billing.reset();
      const { body } = await ask();
      expect(body.errors).toBeUndefined();
      const instances = body.data.zones.flatMap((z: any) => z.hosts.flatMap((h: any) => h.instances));
      expect(instances.length).toBe(cloud.cloud.servers.length);
      for (const i of instances) {
        expect(i.cost.currency).toBe('EUR');
        expect(i.cost.amount).toMatch(/^\d+\.\d\d$/);
        expect(i.project.costSoFar.amount).toMatch(/^\d+\.\d\d$/);
      }
      // Instances (one level) and their projects (the next): one call each, whatever ticks the parents arrived on.
      const calls = entityCalls(billing);
      expect(calls.map((c) => (c.body!.query!.includes('... on Instance') ? 'Instance' : 'Project'))).toEqual(['Instance', 'Project']);
      const [instanceCall, projectCall] = calls;
      expect(instanceCall.body!.query).toContain(
        '_entities(representations: $r0) { ... on Instance { cost(period: {from: "2026-01-01T00:00:00.000Z", to: "2026-02-01T00:00:00.000Z"}) { amount currency } } }',
      );
      expect(instanceCall.body!.query).not.toMatch(/\bname\b|project/);
      expect(instanceCall.body!.variables!.r0).toHaveLength(cloud.cloud.servers.length);
      expect((instanceCall.body!.variables!.r0 as any[])[0]).toEqual({ __typename: 'Instance', uuid: expect.any(String) });
      expect(projectCall.body!.query).toContain('... on Project { costSoFar { amount } }');
      expect(new Set((projectCall.body!.variables!.r0 as any[]).map((r) => r.projectId)).size).toBe(
        (projectCall.body!.variables!.r0 as any[]).length,
      );
    });

    it('fetches every disk cost of a fleet tree with one _entities call, to the cent of its size, type, backend and lifetime', async () => {
      const ask = () =>
        gw.query(
          `query($p: BillingPeriod!) { zones { hosts { instances { uuid disks { backendId backend sizeGb cost(period: $p) { amount currency } } } } } }`,
          { p: JANUARY },
          adminToken,
        );
      await ask(); // the second answer is graphql-jit's on Mercurius
      billing.reset();
      const { body } = await ask();
      expect(body.errors).toBeUndefined();
      const disks = body.data.zones.flatMap((z: any) => z.hosts.flatMap((h: any) => h.instances.flatMap((i: any) => i.disks)));
      const c = cloud.cloud;
      const attachedLegacy = c.legacyDisks.filter((d) => d.instanceUuid && c.servers.some((s) => s.id === d.instanceUuid));
      expect(disks.filter((d: any) => d.backend === 'LEGACY')).toHaveLength(attachedLegacy.length);
      expect(disks.filter((d: any) => d.backend === 'CINDER').length).toBeGreaterThan(0);
      const price = new Map(seedPrices(c).map((p) => [p.key, p.micros]));
      const from = new Date(JANUARY.from);
      const to = new Date(JANUARY.to);
      for (const d of disks) {
        const [backend, id] = [d.backendId.split(':')[0], d.backendId.slice(d.backendId.indexOf(':') + 1)];
        const record =
          backend === 'cinder'
            ? (() => {
                const v = c.volumes.find((x) => x.id === id)!;
                return { key: volumeKey(v.volumeType, 'CINDER'), size: v.size, created: v.createdAt };
              })()
            : (() => {
                const l = c.legacyDisks.find((x) => String(x.id) === id)!;
                return { key: volumeKey(l.type, 'LEGACY'), size: l.sizeGb, created: l.createdAt };
              })();
        expect(record.size).toBe(d.sizeGb);
        const cents = volumeCents(price.get(record.key)!, record.size, record.created, null, from, to);
        expect(d.cost, d.backendId).toEqual({ amount: amountOf(cents), currency: 'EUR' });
      }
      // All disks of every instance are one query level: one call, one representation per disk, the key only.
      const calls = entityCalls(billing);
      expect(calls).toHaveLength(1);
      expect(calls[0].body!.query).toContain(
        '... on Disk { cost(period: {from: "2026-01-01T00:00:00.000Z", to: "2026-02-01T00:00:00.000Z"}) { amount currency } }',
      );
      const reps = calls[0].body!.variables!.r0 as any[];
      expect(reps).toHaveLength(disks.length);
      expect(reps[0]).toEqual({ __typename: 'Disk', backendId: expect.stringMatching(/^(cinder|legacy):/) });
    });

    it('bills a deleted volume for the part of the month it lived, and keeps a member to their own disks', async () => {
      const web = projectIdOf('web');
      const v = cloud.cloud.volumes.find((x) => x.projectId === web)!;
      const key = volumeKey(v.volumeType, 'CINDER');
      const deleted = { _id: `deleted-${runtime}`, kind: 'VOLUME' as const, projectId: web, name: 'gone', priceKey: key, size: 37 };
      const [start, end] = [new Date('2026-01-10T06:30:00Z'), new Date('2026-01-20T17:45:00Z')];
      await usageOf(billing.db).insertOne({ ...deleted, start, end });
      try {
        const { body } = await gw.query(
          `{ invoices(projectId: "${web}", month: "2026-01") { lines { resourceId amount { amount } } } }`,
          {},
          adminToken,
        );
        expect(body.errors).toBeUndefined();
        const line = body.data.invoices[0].lines.find((l: any) => l.resourceId === deleted._id);
        const micros = seedPrices(cloud.cloud).find((p) => p.key === key)!.micros;
        expect(line.amount.amount).toBe(amountOf(volumeCents(micros, 37, start, end, new Date(JANUARY.from), new Date(JANUARY.to))));
      } finally {
        await usageOf(billing.db).deleteOne({ _id: deleted._id });
      }
      // Alice (web) sees her disks' costs; billing itself refuses her a disk of another project.
      const mine = await gw.query(
        `query($p: BillingPeriod!) { instances { nodes { disks { cost(period: $p) { amount } } } } }`,
        { p: JANUARY },
        aliceToken,
      );
      expect(mine.body.errors).toBeUndefined();
      const costs = mine.body.data.instances.nodes.flatMap((n: any) => n.disks.map((d: any) => d.cost));
      expect(costs.length).toBeGreaterThan(0);
      for (const cost of costs) expect(cost.amount).toMatch(/^\d+\.\d\d$/);
      const other = cloud.cloud.volumes.find((x) => x.projectId === projectIdOf('data'))!;
      const direct = await fetch(billing.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...identityHeaders(SECRET, { userId: 'alice', projectId: web, roles: ['member'] }) },
        body: JSON.stringify({
          query:
            'query($r: [_Any!]!) { _entities(representations: $r) { ... on Disk { cost(period: {from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z"}) { amount } } } }',
          variables: { r: [{ __typename: 'Disk', backendId: `cinder:${other.id}` }] },
        }),
      });
      const refused = (await direct.json()) as any;
      expect(refused.data._entities[0].cost).toBeNull();
      expect(refused.errors[0].extensions.code).toBe('FORBIDDEN');
    });

    it('answers the same costs from its snapshot without a database read per request (cacheTtlMs)', async () => {
      const cached = await startBillingSubgraph({ db: db.db, secret: SECRET, cacheTtlMs: 60_000 });
      try {
        const volume = cloud.cloud.volumes[0];
        const server = cloud.cloud.servers[0];
        const ask = (url: string) =>
          fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...identityHeaders(SECRET, { userId: 'admin', projectId: 'p', roles: ['admin'] }) },
            body: JSON.stringify({
              query: `query($r: [_Any!]!) { _entities(representations: $r) { ... on Disk { cost(period: {from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z"}) { amount } }
                ... on Instance { cost(period: {from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z"}) { amount } } } }`,
              variables: {
                r: [
                  { __typename: 'Disk', backendId: `cinder:${volume.id}` },
                  { __typename: 'Instance', uuid: server.id },
                ],
              },
            }),
          }).then((r) => r.json());
        const fresh = await ask(billing.url);
        db.reset();
        const fromSnapshot = await ask(cached.url);
        expect(fromSnapshot).toEqual(fresh);
        expect(fresh.data._entities.map((e: any) => e.cost.amount)).toEqual([
          expect.stringMatching(/^\d+\.\d\d$/),
          expect.stringMatching(/^\d+\.\d\d$/),
        ]);
        expect(db.commands.filter((c) => c.commandName === 'find')).toEqual([]);
      } finally {
        await cached.close();
      }
    });

    it.each(['dashboard-cost', 'instance-detail-cost'])(
      'runs the %s workload with one _entities call per level, its Mosaic fields as without the cost fields',
      async (name) => {
        const base = loadWorkloads(cloud.cloud, [name.replace(/-cost$/, '')])[0];
        const variables = { ...base.variables, ...(name === 'instance-detail-cost' ? { period: JANUARY } : {}) };
        const query = fixture(name);
        await gw.query(query, variables, adminToken);
        billing.reset();
        const { body } = await gw.query(query, variables, adminToken);
        const plain = await gw.query(base.query, base.variables, adminToken);
        expect((body.errors ?? []).filter((e: any) => e.extensions?.service === 'billing')).toEqual([]);
        const calls = entityCalls(billing);
        schema ??= buildClientSchema((await gw.query(getIntrospectionQuery(), {}, adminToken)).body.data);
        const levels = entityLevels(schema, query, entityFieldsOf(BILLING_SDL));
        expect(calls).toHaveLength(levels.length);
        if (name === 'dashboard-cost') {
          expect(levels).toEqual([3]);
          expect(body.data.viewer.project.costSoFar).toEqual({ amount: expect.stringMatching(/^\d+\.\d\d$/), currency: 'EUR' });
          expect(body.data.fleet.zones.map((z: any) => z.zone.name)).toEqual(plain.body.data.fleet.zones.map((z: any) => z.zone.name));
        } else {
          expect(levels).toEqual([2, 3]);
          const instance = body.data.instance;
          expect(instance.cost.amount).toMatch(/^\d+\.\d\d$/);
          expect(instance.project.costSoFar.amount).toMatch(/^\d+\.\d\d$/);
          expect(instance.disks.length).toBeGreaterThan(1);
          for (const d of instance.disks) expect(d.cost.amount).toMatch(/^\d+\.\d\d$/);
          // Without its cost fields the answer is the shared workload's, field for field.
          const strip = ({ cost: _c, project: { costSoFar: _s, ...project }, disks, metrics: _m, ...rest }: any) => ({
            ...rest,
            project,
            disks: disks.map(({ cost: _d, ...d }: any) => d),
          });
          const { metrics: _m, ...plainRest } = plain.body.data.instance;
          expect(strip(instance)).toEqual(plainRest);
          // Level 2 asks for the instance, level 3 for its disks and its project together, in one call.
          expect(calls[0].body!.query).toContain('... on Instance');
          expect(calls[1].body!.query).toMatch(/\.\.\. on (Disk|Project).*\.\.\. on (Disk|Project)/);
        }
      },
    );

    it('sends different arguments for the same field as separate aliases of the same one call', async () => {
      const { body } = await gw.query(
        `{ instances(first: 5) { nodes { jan: cost(period: { from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z" }) { amount }
             feb: cost(period: { from: "2026-02-01T00:00:00Z", to: "2026-03-01T00:00:00Z" }) { amount } } } }`,
        {},
        adminToken,
      );
      expect(body.errors).toBeUndefined();
      const calls = entityCalls(billing);
      expect(calls).toHaveLength(1);
      expect(calls[0].body!.query).toMatch(/e0: _entities\(representations: \$r0\).*jan: cost.*e1: _entities\(representations: \$r1\).*feb: cost/);
      // January has 31 days, February 28: each instance alive through both costs more in January.
      for (const n of body.data.instances.nodes) expect(Number(n.jan.amount)).toBeGreaterThan(Number(n.feb.amount));
    });

    it('answers a cost to the cent: the flavor’s hourly price times the hours', async () => {
      const server = cloud.cloud.servers.find((s) => s.flavorId === '1') ?? cloud.cloud.servers[0];
      const flavor = cloud.cloud.flavors.find((f) => f.id === server.flavorId)!;
      const from = new Date(server.createdAt.getTime() + 3_600_000);
      const to = new Date(from.getTime() + 100 * 3_600_000);
      const { body } = await gw.query(
        `query($id: ID!, $p: BillingPeriod!) { instance(id: $id) { flavor { name } cost(period: $p) { amount currency } } }`,
        { id: server.id, p: { from: from.toISOString(), to: to.toISOString() } },
        adminToken,
      );
      expect(body.errors).toBeUndefined();
      // 100 hours at micro-units per hour: micros × 100 / 10 000 cents, exact for every seeded flavor.
      const cents = (flavorMicros(flavor.vcpus, flavor.ram) * 100) / 10_000;
      expect(body.data.instance.cost).toEqual({ amount: `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`, currency: 'EUR' });
      if (flavor.name === 'm1.tiny') expect(body.data.instance.cost.amount).toBe('1.25'); // 0.0125 an hour
    });

    it("gives a member their own project's bill, lines adding up to the total, and refuses another project's", async () => {
      const { body } = await gw.query(PROJECT_BILL, { month: '2026-01', from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' }, aliceToken);
      expect(body.errors).toBeUndefined();
      const project = body.data.viewer.project;
      expect(project.projectId).toBe(projectIdOf('web'));
      const bill = project.bill;
      expect(bill.lines.length).toBeGreaterThan(0);
      const cents = bill.lines.reduce((n: number, l: any) => n + Math.round(Number(l.amount.amount) * 100), 0);
      expect(Math.round(Number(bill.total.amount) * 100)).toBe(cents);
      // Each instance's January cost is its line in the January bill.
      const lineOf = new Map(bill.lines.map((l: any) => [l.resourceId, l.amount.amount]));
      for (const n of body.data.instances.nodes) expect(n.cost.amount).toBe(lineOf.get(n.uuid));
      // Every bill line is web's own: nothing of another project's leaks into it.
      const webResources = new Set([
        ...cloud.cloud.servers.filter((s) => s.projectId === projectIdOf('web')).map((s) => s.id),
        ...cloud.cloud.volumes.filter((v) => v.projectId === projectIdOf('web')).map((v) => v.id),
        ...cloud.cloud.floatingIps.filter((f) => f.projectId === projectIdOf('web')).map((f) => f.id),
        ...cloud.cloud.legacyDisks.map((d) => `legacy:${d.id}`),
      ]);
      for (const l of bill.lines) expect(webResources.has(l.resourceId)).toBe(true);

      const other = await gw.query(`{ invoices(projectId: "${projectIdOf('data')}", month: "2026-01") { total { amount } } }`, {}, aliceToken);
      expect(other.body.data).toBeNull();
      expect(other.body.errors!).toHaveLength(1);
      // The subgraph's refusal, passed on with its message and public code only: no stack, no locations of its own.
      expect(other.body.errors![0].extensions).toEqual({ code: 'FORBIDDEN', mosaicCode: 'MOSAIC_ERR_SUBGRAPH_ERROR', service: 'billing' });
      expect(other.body.errors![0].message).toMatch(/visible to its members and administrators only/);
      expect(other.body.errors![0].path).toEqual(['invoices']);
    });

    it("forwards the caller's signed identity and never the caller's Keystone token", async () => {
      await gw.query(`{ viewer { project { costSoFar { amount } } } prices { key price { amount } } }`, {}, aliceToken);
      expect(billing.requests.length).toBeGreaterThanOrEqual(2);
      for (const r of billing.requests) {
        expect(r.headers['x-mosaic-project-id']).toBe(projectIdOf('web'));
        expect(r.headers['x-mosaic-signature']).toMatch(/^[0-9a-f]{64}$/);
        expect(r.headers['x-auth-token']).toBeUndefined();
        expect(r.headers.authorization).toBeUndefined();
        expect(JSON.stringify(r)).not.toContain(aliceToken);
      }
    });

    it('answers the cost fields null with a coded timeout naming billing when billing is slow, and the rest of the query', async () => {
      const slowGw = await startTestGateway(cloud, runtime, subgraphConfig(billing.url, 200));
      try {
        billing.delayMs = 600;
        const { body } = await slowGw.query(
          `{ instances(first: 3) { nodes { name cost(period: { from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z" }) { amount } } } }`,
          {},
          adminToken,
        );
        const nodes = body.data.instances.nodes;
        expect(nodes).toHaveLength(3);
        for (const n of nodes) {
          expect(n.name).toEqual(expect.any(String));
          expect(n.cost).toBeNull();
        }
        expect(body.errors!).toHaveLength(3);
        for (const e of body.errors!) {
          expect(e.extensions).toMatchObject({ code: 'UPSTREAM_TIMEOUT', mosaicCode: 'MOSAIC_ERR_UPSTREAM_TIMEOUT', service: 'billing' });
          expect(e.path).toEqual(['instances', 'nodes', expect.any(Number), 'cost']);
        }
      } finally {
        billing.delayMs = 0;
        await slowGw.close();
      }
    });

    it('answers the cost fields null with a coded error naming billing when billing is down, and the rest of the query', async () => {
      const own = await startBillingSubgraph({ db: db.db, secret: SECRET });
      const downGw = await startTestGateway(cloud, runtime, subgraphConfig(own.url));
      try {
        await own.close();
        const { body } = await downGw.query(
          `{ viewer { userName project { name costSoFar { amount } } } instances(first: 2) { nodes { name cost(period: { from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z" }) { amount } } } }`,
          {},
          adminToken,
        );
        expect(body.data.viewer.userName).toBe('admin');
        expect(body.data.viewer.project).toEqual({ name: 'admin', costSoFar: null });
        expect(body.data.instances.nodes.map((n: any) => n.cost)).toEqual([null, null]);
        expect(body.errors!.length).toBe(3);
        for (const e of body.errors!)
          expect(e.extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', mosaicCode: 'MOSAIC_ERR_UPSTREAM_UNAVAILABLE', service: 'billing' });
      } finally {
        await downGw.close();
      }
    });
  });
});
