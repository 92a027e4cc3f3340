// The cloud's notification can beat the answer to the write it reports: Nova publishes instance.create.end while
// the gateway is still waiting for the POST's answer (or still recording the operation RUNNING). The tracker keeps
// the event (datasources/operations/tracker.ts `recentEvents`) and finishes the operation from it at its next look,
// so the event is not lost even when polling cannot see the server at all. Real servers: the emulated cloud
// publishing to RabbitMQ, the gateway consuming it, FerretDB for operations.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken, startTestCloud, type DemoCloud } from '../helpers/cloud.ts';
import { RUNTIMES, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { mongoSkipReason, mongoUri, openTestDb, type TestDb } from '../helpers/mongo.ts';
import { AMQP_URL, exchangePrefix, exchangesFor, requireAmqp } from '../helpers/amqp.ts';

const amqp = await requireAmqp('an event before its answer');

const CREATE = `mutation($input: CreateInstanceInput!) { createInstance(input: $input) { operation { id status } } }`;
const OPERATION = `query($id: ID!) { operation(id: $id) { status error { code } } }`;

describe.skipIf(mongoSkipReason !== null || !amqp)('a notification that arrives before the answer to its write', () => {
  const prefix = exchangePrefix();
  let cloud: DemoCloud;
  let db: TestDb;
  let alice: string;
  const gateways: TestGateway[] = [];

  beforeAll(async () => {
    // No build time: the server is ACTIVE, and instance.create.end published, as soon as Nova takes the POST.
    cloud = await startTestCloud({ asyncDelayMs: 0, notifyAmqpUrl: AMQP_URL, notifyExchangePrefix: prefix });
    db = await openTestDb('gw_event_before_answer');
    alice = (await issueToken(cloud, 'alice')).token;
  });
  afterAll(async () => {
    for (const gw of gateways) await gw.close().catch(() => {});
    await db?.close();
    await cloud?.close();
  });

  it.each(RUNTIMES)('finishes the operation from that notification on %s, though every poll of the server fails', async (runtime) => {
    const gw = await startTestGateway(cloud, runtime, {
      mongodb: { uri: mongoUri, database: db.db.databaseName },
      events: { amqpUrl: AMQP_URL, exchanges: exchangesFor(prefix) },
    });
    gateways.push(gw);
    await gw.services.events.connected();
    // Nova answers the POST 300 ms after doing it (the notification leaves at once), and never shows the server.
    cloud.setFaults('nova', { answerDelayMs: 300, failUrlsContaining: '/v2.1/servers/' });
    try {
      const image = cloud.cloud.images.find((i) => i.status === 'active' && i.visibility === 'public')!;
      const input = {
        idempotencyKey: `early-${runtime}-${Date.now()}`,
        name: `early-${runtime}`,
        flavorId: cloud.cloud.flavors[0].id,
        imageId: image.id,
      };
      const res = await gw.query(CREATE, { input }, alice);
      expect(res.body.errors, JSON.stringify(res.body.errors)).toBeUndefined();
      const id = res.body.data.createInstance.operation.id;
      await expect
        .poll(async () => (await gw.query(OPERATION, { id }, alice)).body.data?.operation?.status, { timeout: 10_000, interval: 100 })
        .toBe('SUCCEEDED');
      // Every look at the server failed: only the notification can have told the tracker.
      expect(cloud.cloud.servers.find((s) => s.name === input.name)?.status).toBe('ACTIVE');
    } finally {
      cloud.setFaults('nova', { answerDelayMs: 0, failUrlsContaining: '' });
    }
  });
});
