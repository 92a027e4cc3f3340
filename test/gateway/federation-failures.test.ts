// Subgraphs that must not be trusted (README "Federated subgraphs", issue #11 "Tests"): SDLs that do not compose
// stop start-up with MOSAIC_ERR_CONFIG naming the subgraph, each kind of conflict on its own; and a subgraph that
// answers garbage, or errors carrying its internals, costs only its fields and leaks nothing. Each subgraph here is
// a tiny real HTTP server on port 0 (node:http) answering `_service { sdl }` and, for the garbled ones, `_entities`
// the way the test says; the gateway runs over HTTP against the tiny test cloud, on both runtimes.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { issueToken, startTestCloud, type DemoCloud } from '../helpers/cloud.ts';
import { RUNTIMES, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { BILLING_SDL } from '../../subgraphs/billing/schema.ts';

const SECRET = 'federation-failures-secret-0123456789';
const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable", "@external", "@requires"])\n';

interface Received {
  query: string;
  variables: Record<string, unknown>;
}
/** What the fake subgraph answers to anything but `_service`: a status, a content type and a raw body. */
type Answer = (req: Received) => { status?: number; type?: string; body: string };

interface FakeSubgraph {
  url: string;
  received: Received[];
  answer: Answer;
  close(): Promise<void>;
}

/** A real HTTP server that serves `sdl` to `_service { sdl }` and `answer` to every other request. */
async function fakeSubgraph(sdl: string, answer: Answer = () => ({ body: '{"data":{}}' })): Promise<FakeSubgraph> {
  const fake: FakeSubgraph = { url: '', received: [], answer, close: async () => {} };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Partial<Received>;
      const received = { query: parsed.query ?? '', variables: parsed.variables ?? {} };
      if (received.query.includes('_service')) {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ data: { _service: { sdl } } }));
        return;
      }
      fake.received.push(received);
      const a = fake.answer(received);
      res.statusCode = a.status ?? 200;
      res.setHeader('content-type', a.type ?? 'application/json');
      res.end(a.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  fake.close = () => new Promise((resolve) => server.close(() => resolve()));
  return fake;
}

describe('composition errors stop start-up', () => {
  let cloud: DemoCloud;
  beforeAll(async () => {
    cloud = await startTestCloud({ size: 'tiny' });
  });
  afterAll(() => cloud?.close());

  /** Starts a gateway with one subgraph `inventory` serving `sdl`; returns the error start-up failed with. */
  async function startupError(sdl: string): Promise<Error & { code?: string }> {
    const fake = await fakeSubgraph(LINK + sdl);
    try {
      const gw = await startTestGateway(cloud, 'mercurius', { subgraphs: [{ name: 'inventory', url: fake.url, secret: SECRET }] }).catch(
        (e: Error) => e,
      );
      if (!(gw instanceof Error)) {
        await gw.close();
        throw new Error(`the gateway started with:\n${sdl}`);
      }
      return gw;
    } finally {
      await fake.close();
    }
  }

  it.each([
    {
      kind: 'a key naming an unknown field',
      sdl: 'type Instance @key(fields: "nope") { uuid: ID! cost: Int }\ntype Query { ping: Int }',
      says: /On type "Instance", for @key\(fields: "nope"\): Cannot query field "nope".*\[KEY_INVALID_FIELDS\]/,
    },
    {
      kind: 'a Mosaic field defined again without @shareable',
      sdl: 'type Instance @key(fields: "uuid") { uuid: ID! name: String cost: Int }\ntype Query { ping: Int }',
      says: /Non-shareable field "Instance\.name" is resolved from multiple subgraphs.*"inventory" and "mosaic".*\[INVALID_FIELD_SHARING\]/,
    },
    {
      kind: 'a Mosaic field redefined with another type',
      sdl: 'type Instance @key(fields: "uuid") { uuid: ID! name: Int }\ntype Query { ping: Int }',
      says: /Instance\.name.*"Int" in subgraph "inventory" but type "String" in subgraph "mosaic" \[FIELD_TYPE_MISMATCH\]/,
    },
    {
      kind: 'a Mosaic entity extended with a key of its own that Mosaic cannot resolve',
      sdl: 'type Project @key(fields: "budgetCode") { budgetCode: ID! spend: Int }\ntype Query { ping: Int }',
      says: /using @key\(fields: "budgetCode"\) of "Project", the key field\(s\) cannot be resolved from subgraph "mosaic"\. \[SATISFIABILITY_ERROR\]/,
    },
    {
      kind: 'a Mosaic value type made an entity with a conflicting key field',
      sdl: 'type Host @key(fields: "hostname") { hostname: Int! rack: String }\ntype Query { ping: Int }',
      says: /"Host\.hostname".*"Int!" in subgraph "inventory" but type "String!" in subgraph "mosaic"/,
    },
    {
      kind: 'a Mutation field',
      sdl: 'type Instance @key(fields: "uuid") { uuid: ID! cost: Int }\ntype Query { ping: Int }\ntype Mutation { pay(uuid: ID!): Int }',
      says: /Mutation fields are not federated/,
    },
    {
      kind: 'a @requires field',
      sdl: 'type Instance @key(fields: "uuid") { uuid: ID! name: String @external cost: Int @requires(fields: "name") }\ntype Query { ping: Int }',
      says: /Instance\.cost uses @requires/,
    },
  ])('refuses $kind, naming the subgraph', async ({ sdl, says }) => {
    const error = await startupError(sdl);
    expect(error.code).toBe('MOSAIC_ERR_CONFIG');
    expect(error.message).toMatch(/subgraph "inventory"/);
    expect(error.message).toMatch(says);
  });
});

describe('a garbled subgraph', () => {
  let cloud: DemoCloud;
  let adminToken: string;
  let billing: FakeSubgraph;
  beforeAll(async () => {
    cloud = await startTestCloud({ size: 'tiny' });
    adminToken = (await issueToken(cloud, 'admin')).token;
    billing = await fakeSubgraph(BILLING_SDL);
  });
  afterAll(async () => {
    await billing?.close();
    await cloud?.close();
  });
  beforeEach(() => void (billing.received.length = 0));

  const QUERY = `{ viewer { userName } instances(first: 3) { nodes { name cost(period: { from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z" }) { amount } } } }`;
  /** An `_entities` answer for the request, each entity from `entity(i)`, under the response key the gateway used. */
  const entities = (req: Received, entity: (i: number) => unknown) => {
    const key = /(\w+)\s*:\s*_entities/.exec(req.query)?.[1] ?? '_entities';
    const reps = (req.variables.r0 ?? Object.values(req.variables)[0]) as unknown[];
    return { [key]: reps.map((_, i) => entity(i)) };
  };

  describe.each(RUNTIMES)('through the gateway on %s', (runtime) => {
    let gw: TestGateway;
    beforeAll(async () => {
      gw = await startTestGateway(cloud, runtime, { subgraphs: [{ name: 'billing', url: billing.url, secret: SECRET, timeoutMs: 2_000 }] });
    });
    afterAll(() => gw?.close());

    it.each([
      { garble: 'non-JSON', answer: () => ({ type: 'text/html', body: '<html><body>502 Bad Gateway</body></html>' }) },
      { garble: 'JSON without data or errors', answer: () => ({ body: '{"result":"ok","cost":12.5}' }) },
      { garble: 'a JSON array', answer: () => ({ body: '[1,2,3]' }) },
    ])('answers the cost fields null with MOSAIC_ERR_UPSTREAM_GARBLED naming billing on $garble, the rest intact', async ({ answer }) => {
      billing.answer = answer;
      const { status, body } = await gw.query(QUERY, {}, adminToken);
      expect(status).toBe(200);
      expect(billing.received.length).toBe(1); // the call was made (and not retried)
      expect(body.data.viewer.userName).toBe('admin');
      const nodes = body.data.instances.nodes;
      expect(nodes).toHaveLength(3);
      for (const n of nodes) {
        expect(n.name).toEqual(expect.any(String));
        expect(n.cost).toBeNull();
      }
      expect(body.errors!).toHaveLength(3);
      for (const e of body.errors!) {
        expect(e.extensions).toMatchObject({ code: 'UPSTREAM_ERROR', mosaicCode: 'MOSAIC_ERR_UPSTREAM_GARBLED', service: 'billing' });
        expect(e.path).toEqual(['instances', 'nodes', expect.any(Number), 'cost']);
      }
      expect(JSON.stringify(body)).not.toContain('Bad Gateway');
    });

    it('passes on a subgraph error with its message and public code only, never its stack or extensions', async () => {
      const internals = {
        stacktrace: ['Error: boom', '    at resolveCost (/srv/billing/secret-path/schema.ts:42:7)'],
        exception: { dbUri: 'mongodb://billing:hunter2@db-internal:27017' },
        serviceName: 'billing-internal',
      };
      billing.answer = (req) => ({
        body: JSON.stringify({
          data: entities(req, (i) => (i === 1 ? { cost: null } : { cost: { amount: '1.25' } })),
          errors: [
            {
              message: 'Billing of this instance is visible to its project only.',
              locations: [{ line: 1, column: 99 }],
              path: [/(\w+)\s*:\s*_entities/.exec(req.query)?.[1] ?? '_entities', 1, 'cost'],
              extensions: { code: 'FORBIDDEN', ...internals },
            },
          ],
        }),
      });
      const { body } = await gw.query(QUERY, {}, adminToken);
      const nodes = body.data.instances.nodes;
      expect(nodes.map((n: any) => n.cost)).toEqual([{ amount: '1.25' }, null, { amount: '1.25' }]);
      expect(body.errors!).toHaveLength(1);
      const [error] = body.errors!;
      expect(error.message).toBe('Billing of this instance is visible to its project only.');
      expect(error.path).toEqual(['instances', 'nodes', 1, 'cost']);
      expect(error.extensions).toEqual({ code: 'FORBIDDEN', mosaicCode: 'MOSAIC_ERR_SUBGRAPH_ERROR', service: 'billing' });
      const text = JSON.stringify(body);
      for (const leak of ['stacktrace', 'secret-path', 'hunter2', 'billing-internal', 'column":99']) expect(text).not.toContain(leak);

      // A code that is not one of Mosaic's public ones is not passed on: the client sees UPSTREAM_ERROR.
      billing.answer = (req) => ({
        body: JSON.stringify({
          data: null,
          errors: [{ message: 'Cannot query field "cost" on type "Instance".', extensions: { code: 'GRAPHQL_VALIDATION_FAILED', ...internals } }],
        }),
      });
      const rejected = await gw.query(QUERY, {}, adminToken);
      expect(rejected.body.data.viewer.userName).toBe('admin');
      expect(rejected.body.data.instances.nodes.map((n: any) => n.cost)).toEqual([null, null, null]);
      for (const e of rejected.body.errors!)
        expect(e.extensions).toEqual({ code: 'UPSTREAM_ERROR', mosaicCode: 'MOSAIC_ERR_SUBGRAPH_ERROR', service: 'billing' });
      expect(JSON.stringify(rejected.body)).not.toMatch(/stacktrace|hunter2|GRAPHQL_VALIDATION_FAILED/);
    });
  });
});
