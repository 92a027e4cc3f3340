// Subscriptions over WebSocket (graphql-transport-ws, the graphql-ws client with `ws`) on both runtimes, against
// real servers: the emulated cloud publishing its notifications to RabbitMQ, the gateway consuming them, and
// MongoDB (FerretDB) for operations. Checked: operationUpdated delivers each status once and in order; members
// receive their own project's instance events only; a notification finishes an operation that polling could not
// see; unauthenticated connections are refused with 4403; with RabbitMQ unreachable the gateway still starts,
// operationUpdated still delivers from the tracker's polling, and instanceEvents from polling Nova's changes-since
// (and, without a bus at all, disk attachments from Cinder's updated_at).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { issueToken, startTestCloud, type DemoCloud } from '../helpers/cloud.ts';
import { RUNTIMES, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { mongoSkipReason, mongoUri, openTestDb, type TestDb } from '../helpers/mongo.ts';
import { AMQP_URL, exchangePrefix, exchangesFor, requireAmqp } from '../helpers/amqp.ts';
import { volumeEvents, type VolumeChange, type VolumeScope } from '../../datasources/events/volume-changes.ts';

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

    it('without a bus instanceEvents delivers DISK_ATTACHED and DISK_DETACHED from Cinder’s updated_at, once each', async () => {
      const nobus = await start(runtime, { amqpUrl: null, pollIntervalMs: 150 });
      expect(nobus.services.events.mode).toBe('polling');
      const poller = nobus.services.events.poller!;
      const run = async (query: string, input: Record<string, unknown>, field: string) => {
        const res = await nobus.query(query, { input }, alice);
        expect(res.body.errors, JSON.stringify(res.body.errors)).toBeUndefined();
        const id = res.body.data[field].operation.id;
        await expect
          .poll(async () => (await nobus.query(`query($id: ID!) { operation(id: $id) { status } }`, { id }, alice)).body.data.operation.status, {
            timeout: 10_000,
          })
          .toBe('SUCCEEDED');
        return (await nobus.query(`query($id: ID!) { operation(id: $id) { target { id } } }`, { id }, alice)).body.data.operation.target;
      };
      const name = `sub-disk-${runtime}`;
      const created = await createInstance(nobus, alice, name);
      await expect
        .poll(
          async () => (await nobus.query(`query($id: ID!) { operation(id: $id) { status } }`, { id: created.id }, alice)).body.data.operation.status,
        )
        .toBe('SUCCEEDED');
      const serverId = serverNamed(name)!.id;
      const disk = await run(
        `mutation($input: CreateDiskInput!) { createDisk(input: $input) { operation { id } } }`,
        { idempotencyKey: newKey('sub-vol'), backend: 'CINDER', sizeGb: 1, name: `${name}-vol` },
        'createDisk',
      );
      const volumeId = cloud.cloud.volumes.find((v) => v.name === `${name}-vol`)!.id;

      const DISK_EVENTS = `subscription($filter: InstanceEventFilter) { instanceEvents(filter: $filter) { kind instanceId projectId diskId eventType } }`;
      const mine = collect(client(nobus, alice), DISK_EVENTS, { filter: { instanceId: serverId } });
      await expect.poll(() => poller.active).toBe(true);
      await new Promise((r) => setTimeout(r, 400)); // the baseline is taken before the disk is attached
      await run(
        `mutation($input: AttachDiskInput!) { attachDisk(input: $input) { operation { id } } }`,
        { idempotencyKey: newKey('sub-att'), diskId: disk.id, instanceId: serverId },
        'attachDisk',
      );
      const diskEvents = () => mine.values.map((v) => v.data.instanceEvents).filter((e) => e.diskId === volumeId);
      await expect.poll(() => diskEvents().map((e) => e.kind), { timeout: 10_000 }).toEqual(['DISK_ATTACHED']);
      await run(
        `mutation($input: DetachDiskInput!) { detachDisk(input: $input) { operation { id } } }`,
        { idempotencyKey: newKey('sub-det'), diskId: disk.id },
        'detachDisk',
      );
      await expect.poll(() => diskEvents().map((e) => e.kind), { timeout: 10_000 }).toEqual(['DISK_ATTACHED', 'DISK_DETACHED']);
      expect(diskEvents()[0]).toMatchObject({ instanceId: serverId, projectId: projectOf('alice'), eventType: 'updated_at' });
      // Once each: later polls list the volume again unchanged.
      await new Promise((r) => setTimeout(r, 400));
      expect(diskEvents()).toHaveLength(2);
      mine.stop();
    });

    it('when the bus goes away, an attach in the gap before polling takes over is delivered once, and one the bus delivered is not repeated', async () => {
      const bus = await start(runtime, { pollIntervalMs: 2_000 });
      await bus.services.events.connected();
      const hub = bus.services.events;
      const poller = hub.poller!;
      const run = async (query: string, input: Record<string, unknown>, field: string) => {
        const res = await bus.query(query, { input }, alice);
        expect(res.body.errors, JSON.stringify(res.body.errors)).toBeUndefined();
        const id = res.body.data[field].operation.id;
        await expect
          .poll(async () => (await bus.query(`query($id: ID!) { operation(id: $id) { status } }`, { id }, alice)).body.data.operation.status, {
            timeout: 10_000,
          })
          .toBe('SUCCEEDED');
        return (await bus.query(`query($id: ID!) { operation(id: $id) { target { id } } }`, { id }, alice)).body.data.operation.target;
      };
      const name = `sub-gap-${runtime}`;
      const created = await createInstance(bus, alice, name);
      await expect
        .poll(
          async () => (await bus.query(`query($id: ID!) { operation(id: $id) { status } }`, { id: created.id }, alice)).body.data.operation.status,
        )
        .toBe('SUCCEEDED');
      const serverId = serverNamed(name)!.id;
      const newDisk = (n: string) =>
        run(
          `mutation($input: CreateDiskInput!) { createDisk(input: $input) { operation { id } } }`,
          { idempotencyKey: newKey(n), backend: 'CINDER', sizeGb: 1, name: `${name}-${n}` },
          'createDisk',
        );
      const attach = (diskId: string) =>
        run(
          `mutation($input: AttachDiskInput!) { attachDisk(input: $input) { operation { id } } }`,
          { idempotencyKey: newKey('gap-att'), diskId, instanceId: serverId },
          'attachDisk',
        );
      const [d1, d2] = [await newDisk('v1'), await newDisk('v2')];
      const volumeId = (n: string) => cloud.cloud.volumes.find((v) => v.name === `${name}-${n}`)!.id;

      const DISK_EVENTS = `subscription($filter: InstanceEventFilter) { instanceEvents(filter: $filter) { kind instanceId diskId eventType } }`;
      const mine = collect(client(bus, alice), DISK_EVENTS, { filter: { instanceId: serverId } });
      await expect.poll(() => poller.ticks, { timeout: 5_000 }).toBeGreaterThan(0); // the baseline, taken while the bus delivers
      const disk = (id: string) => mine.values.map((v) => v.data.instanceEvents).filter((e) => e.diskId === id && e.kind === 'DISK_ATTACHED');
      await attach(d1.id);
      await expect.poll(() => disk(volumeId('v1')), { timeout: 10_000 }).toHaveLength(1);
      expect(disk(volumeId('v1'))[0].eventType).not.toBe('updated_at'); // the bus's

      // Right after a tick, the bus goes away; the attach completes before the next tick hands over to polling.
      const ticks = poller.ticks;
      await expect.poll(() => poller.ticks, { timeout: 5_000 }).toBeGreaterThan(ticks);
      await (hub as any).consumer.close();
      expect(hub.mode).toBe('polling');
      await attach(d2.id);
      await expect.poll(() => disk(volumeId('v2')), { timeout: 10_000 }).toHaveLength(1);
      expect(disk(volumeId('v2'))[0]).toMatchObject({ instanceId: serverId, eventType: 'updated_at' });
      await new Promise((r) => setTimeout(r, 4_500)); // two more polls: nothing repeated
      expect(disk(volumeId('v2'))).toHaveLength(1);
      expect(disk(volumeId('v1'))).toHaveLength(1);
      mine.stop();
    }, 60_000);

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

// Cinder's side of polling, on listings as CinderChanges.since returns them (volume-changes.ts): a listing MAX_PAGES
// cut short moves the clock only to the oldest change it read. (Reproducing it over HTTP needs 10 000 changed
// volumes; the NULL-first order that once stopped a listing is PostgreSQL's, which the emulator does not copy.)
describe('volumeEvents', () => {
  const at = (s: number) => new Date(Date.UTC(2026, 10, 30, 12, 0, s));
  const vol = (id: string, s: number, servers: string[]): VolumeChange => ({
    id,
    projectId: 'p',
    status: servers.length ? 'in-use' : 'available',
    updatedAt: at(s),
    attachments: servers.map((serverId) => ({ serverId, attachedAt: at(s) })),
  });
  const scope = (): VolumeScope => ({
    since: at(0),
    began: at(0).getTime(),
    seen: new Map([
      ['v1', new Set<string>()],
      ['v2', new Set<string>()],
    ]),
  });

  it('moves the clock to the newest change read when the listing reached back to it', () => {
    const sc = scope();
    const events = volumeEvents(sc, [vol('v2', 30, ['s2']), vol('v1', 10, ['s1'])]);
    expect(events.map((e) => `${e.kind}:${e.resourceId}`)).toEqual(['disk.attached:v1', 'disk.attached:v2']);
    expect(sc.since).toEqual(at(30));
  });

  it('moves the clock only to the oldest change read when the page limit cut the listing short, and reports nothing twice', () => {
    const sc = scope();
    expect(volumeEvents(sc, [vol('v2', 30, ['s2'])], true).map((e) => e.resourceId)).toEqual(['v2']);
    expect(sc.since).toEqual(at(30));
    const sc2 = scope();
    volumeEvents(sc2, [vol('v2', 30, ['s2']), vol('v1', 20, [])], true);
    expect(sc2.since).toEqual(at(20)); // changes between 0 and 20 were not read: the next look starts at 20
    // The next look reads v2 again, unchanged: not news.
    expect(volumeEvents(sc2, [vol('v2', 30, ['s2']), vol('v1', 20, [])])).toEqual([]);
    expect(sc2.since).toEqual(at(30));
  });
});
