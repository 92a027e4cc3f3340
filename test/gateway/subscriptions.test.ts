// Subscriptions over WebSocket (graphql-transport-ws, the graphql-ws client with `ws`) on both runtimes, against
// real servers: the emulated cloud publishing its notifications to RabbitMQ, the gateway consuming them, and
// MongoDB (FerretDB) for operations. Checked: operationUpdated delivers each status once and in order; members
// receive their own project's instance events only; a notification finishes an operation that polling could not
// see; unauthenticated connections are refused with 4403; with RabbitMQ unreachable the gateway still starts,
// operationUpdated still delivers from the tracker's polling, and instanceEvents from polling Nova's changes-since.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { issueToken, startTestCloud, type DemoCloud } from '../helpers/cloud.ts';
import { RUNTIMES, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { mongoSkipReason, mongoUri, openTestDb, type TestDb } from '../helpers/mongo.ts';
import { AMQP_URL, exchangePrefix, exchangesFor, requireAmqp } from '../helpers/amqp.ts';

const amqp = await requireAmqp('subscriptions');

let keyCounter = 0;
const newKey = (label: string) => `${label}-${process.pid}-${Date.now().toString(36)}-${keyCounter++}`;

const CREATE = `mutation($input: CreateInstanceInput!) { createInstance(input: $input) { operation { id status } } }`;
const OPERATION_UPDATED = `subscription($id: ID!) { operationUpdated(id: $id) { id kind status finishedAt error { code } } }`;
const INSTANCE_EVENTS = `subscription($filter: InstanceEventFilter) {
  instanceEvents(filter: $filter) { kind instanceId projectId status oldStatus taskState at eventType } }`;

interface Collected {
  values: any[];
  /** Settles when the server completes the subscription (or rejects with its error / the close event). */
  done: Promise<void>;
  stop(): void;
}

function wsClient(gw: TestGateway, token?: string): Client {
  return createClient({
    url: gw.url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: token ? { 'x-auth-token': token } : {},
    retryAttempts: 0,
    lazy: true,
  });
}

function collect(client: Client, query: string, variables: Record<string, unknown>): Collected {
  const values: any[] = [];
  let stop = () => {};
  const done = new Promise<void>((resolve, reject) => {
    stop = client.subscribe(
      { query, variables },
      {
        next: (v) => values.push(v),
        error: (e) => reject(e),
        complete: () => resolve(),
      },
    );
  });
  done.catch(() => {});
  return { values, done, stop };
}

describe.skipIf(mongoSkipReason !== null || !amqp)('subscriptions', () => {
  const prefix = exchangePrefix();
  let cloud: DemoCloud;
  let db: TestDb;
  let alice: string;
  let bob: string;
  let admin: string;
  const gateways: TestGateway[] = [];
  const clients: Client[] = [];
  const client = (gw: TestGateway, token?: string) => {
    const c = wsClient(gw, token);
    clients.push(c);
    return c;
  };
  const start = async (runtime: (typeof RUNTIMES)[number], events: Record<string, unknown> = {}) => {
    const gw = await startTestGateway(cloud, runtime, {
      mongodb: { uri: mongoUri, database: db.db.databaseName },
      events: { amqpUrl: AMQP_URL, exchanges: exchangesFor(prefix), ...events },
    });
    gateways.push(gw);
    return gw;
  };
  const image = () => cloud.cloud.images.find((i) => i.status === 'active' && i.visibility === 'public')!;
  const projectOf = (user: string) => cloud.cloud.users.find((u) => u.name === user)!.projectId;
  const createInstance = async (gw: TestGateway, token: string, name: string) => {
    const res = await gw.query(
      CREATE,
      { input: { idempotencyKey: newKey(name), name, flavorId: cloud.cloud.flavors[0].id, imageId: image().id } },
      token,
    );
    expect(res.body.errors, JSON.stringify(res.body.errors)).toBeUndefined();
    return res.body.data.createInstance.operation as { id: string; status: string };
  };
  const serverNamed = (name: string) => cloud.cloud.servers.find((s) => s.name === name);

  beforeAll(async () => {
    // Long enough a build that a subscription opened after the mutation sees it RUNNING.
    cloud = await startTestCloud({ asyncDelayMs: 400, notifyAmqpUrl: AMQP_URL, notifyExchangePrefix: prefix });
    db = await openTestDb('gw_subscriptions');
    [alice, bob, admin] = (await Promise.all(['alice', 'bob', 'admin'].map((u) => issueToken(cloud, u)))).map((t) => t.token);
  });
  afterAll(async () => {
    for (const c of clients) await c.dispose();
    for (const gw of gateways) await gw.close().catch(() => {});
    await db?.close();
    await cloud?.close();
  });

  describe.each(RUNTIMES)('on %s', (runtime) => {
    let gw: TestGateway;
    beforeAll(async () => {
      gw = await start(runtime);
      await gw.services.events.connected();
    });

    it('operationUpdated delivers a createInstance operation RUNNING then SUCCEEDED, each once, then completes', async () => {
      const op = await createInstance(gw, alice, `sub-op-${runtime}`);
      expect(op.status).toBe('RUNNING');
      const sub = collect(client(gw, alice), OPERATION_UPDATED, { id: op.id });
      await sub.done;
      expect(sub.values.map((v) => v.errors ?? v.data.operationUpdated.status)).toEqual(['RUNNING', 'SUCCEEDED']);
      expect(sub.values[1].data.operationUpdated).toMatchObject({ id: op.id, kind: 'CREATE_INSTANCE', finishedAt: expect.any(String), error: null });
    });

    it('instanceEvents gives a member their own project’s events and none of another project’s', async () => {
      const mine = collect(client(gw, alice), INSTANCE_EVENTS, {});
      const all = collect(client(gw, admin), INSTANCE_EVENTS, {});
      await new Promise((r) => setTimeout(r, 200)); // both subscribed before the cloud changes
      const bobs = `sub-ev-bob-${runtime}`;
      const alices = `sub-ev-alice-${runtime}`;
      await createInstance(gw, bob, bobs);
      await createInstance(gw, alice, alices);
      const uuidOf = async (name: string) => {
        await expect.poll(() => serverNamed(name)?.id).toBeDefined();
        return serverNamed(name)!.id;
      };
      const [bobId, aliceId] = [await uuidOf(bobs), await uuidOf(alices)];
      const eventsOf = (c: Collected, id: string) => c.values.map((v) => v.data.instanceEvents).filter((e) => e.instanceId === id);
      // The administrator hears Bob's instance become ACTIVE: it was published, so Alice not hearing it means something.
      await expect.poll(() => eventsOf(all, bobId).some((e) => e.status === 'ACTIVE'), { timeout: 10_000 }).toBe(true);
      await expect.poll(() => eventsOf(mine, aliceId).some((e) => e.status === 'ACTIVE'), { timeout: 10_000 }).toBe(true);
      const aliceEvents = eventsOf(mine, aliceId);
      expect(aliceEvents[0]).toMatchObject({ kind: 'CREATED', status: 'BUILD', taskState: 'spawning', eventType: 'instance.create.start' });
      expect(aliceEvents).toContainEqual(
        expect.objectContaining({ kind: 'STATUS_CHANGED', oldStatus: 'BUILD', status: 'ACTIVE', taskState: null, eventType: 'instance.update' }),
      );
      expect(mine.values.every((v) => v.data.instanceEvents.projectId === projectOf('alice'))).toBe(true);
      expect(eventsOf(mine, bobId)).toEqual([]);
      mine.stop();
      all.stop();
    });

    it('a member asking for another project’s events is refused', async () => {
      const sub = collect(client(gw, alice), INSTANCE_EVENTS, { filter: { projectId: projectOf('bob') } });
      const err: any = await sub.done.then(
        () => null,
        (e) => e,
      );
      const errors = Array.isArray(err) ? err : (sub.values[0]?.errors ?? []);
      expect(errors[0]?.extensions?.mosaicCode).toBe('MOSAIC_ERR_ADMIN_ONLY');
    });

    it('a notification finishes an operation that polling cannot see', async () => {
      // Every poll of the server fails; only instance.create.end can tell the tracker the build finished.
      cloud.setFaults('nova', { failUrlsContaining: '/v2.1/servers/' });
      try {
        const op = await createInstance(gw, alice, `sub-evt-${runtime}`);
        const sub = collect(client(gw, alice), OPERATION_UPDATED, { id: op.id });
        await sub.done;
        expect(sub.values.at(-1).data.operationUpdated.status).toBe('SUCCEEDED');
      } finally {
        cloud.setFaults('nova', { failUrlsContaining: '' });
      }
    });

    it('refuses an unauthenticated connection with 4403, and one with an unknown token', async () => {
      for (const token of [undefined, 'not-a-token']) {
        const sub = collect(client(gw, token), INSTANCE_EVENTS, {});
        const closed: any = await sub.done.then(
          () => null,
          (e) => e,
        );
        expect(closed?.code).toBe(4403);
      }
    });

    it('with RabbitMQ unreachable instanceEvents come from Nova changes-since: a created instance’s events, none of another project’s', async () => {
      const down = await start(runtime, { amqpUrl: 'amqp://guest:guest@127.0.0.1:1', pollIntervalMs: 150 });
      expect(down.services.events.mode).toBe('polling');
      const poller = down.services.events.poller!;
      expect(poller.active).toBe(false);
      const mine = collect(client(down, alice), INSTANCE_EVENTS, {});
      const all = collect(client(down, admin), INSTANCE_EVENTS, {});
      await expect.poll(() => poller.active).toBe(true);
      await new Promise((r) => setTimeout(r, 300)); // the first listings are made before the cloud changes
      const bobs = `sub-poll-bob-${runtime}`;
      const alices = `sub-poll-alice-${runtime}`;
      await createInstance(down, bob, bobs);
      const aliceOp = await createInstance(down, alice, alices);
      await expect.poll(() => serverNamed(bobs)?.id && serverNamed(alices)?.id).toBeTruthy();
      const [bobId, aliceId] = [serverNamed(bobs)!.id, serverNamed(alices)!.id];
      const eventsOf = (c: Collected, id: string) => c.values.map((v) => v.data.instanceEvents).filter((e) => e.instanceId === id);
      await expect.poll(() => eventsOf(all, bobId).some((e) => e.status === 'ACTIVE'), { timeout: 10_000 }).toBe(true);
      await expect.poll(() => eventsOf(mine, aliceId).some((e) => e.status === 'ACTIVE'), { timeout: 10_000 }).toBe(true);
      expect(eventsOf(mine, aliceId)[0]).toMatchObject({
        kind: 'CREATED',
        status: 'BUILD',
        projectId: projectOf('alice'),
        eventType: 'changes-since',
      });
      expect(eventsOf(mine, aliceId)).toContainEqual(expect.objectContaining({ kind: 'STATUS_CHANGED', oldStatus: 'BUILD', status: 'ACTIVE' }));
      expect(mine.values.every((v) => v.data.instanceEvents.projectId === projectOf('alice'))).toBe(true);
      expect(eventsOf(mine, bobId)).toEqual([]);
      // Deleted servers are listed by changes-since too.
      const opId = aliceOp.id;
      await expect
        .poll(async () => (await down.query(`query($id: ID!) { operation(id: $id) { status } }`, { id: opId }, alice)).body.data.operation.status)
        .toBe('SUCCEEDED');
      const del = await down.query(
        `mutation($input: InstanceActionInput!) { deleteInstance(input: $input) { operation { id } } }`,
        { input: { idempotencyKey: newKey('poll-del'), instanceId: aliceId } },
        alice,
      );
      expect(del.body.errors).toBeUndefined();
      await expect.poll(() => eventsOf(mine, aliceId).some((e) => e.kind === 'DELETED'), { timeout: 10_000 }).toBe(true);
      // Each change is delivered once.
      const seen = eventsOf(mine, aliceId).map((e) => `${e.kind}:${e.status}:${e.taskState}`);
      expect(new Set(seen).size).toBe(seen.length);
      mine.stop();
      all.stop();
      // Polling stops when the last subscriber leaves.
      await expect.poll(() => poller.active).toBe(false);
      const polls = poller.polls;
      await new Promise((r) => setTimeout(r, 400));
      expect(poller.polls).toBe(polls);
    });

    it('with RabbitMQ unreachable the gateway starts, and operationUpdated is delivered from polling', async () => {
      const down = await start(runtime, { amqpUrl: 'amqp://guest:guest@127.0.0.1:1' });
      expect(down.services.events.mode).toBe('polling');
      const op = await createInstance(down, alice, `sub-nobus-${runtime}`);
      const sub = collect(client(down, alice), OPERATION_UPDATED, { id: op.id });
      await sub.done;
      expect(sub.values.map((v) => v.data.operationUpdated.status)).toEqual(['RUNNING', 'SUCCEEDED']);
    });
  });
});
