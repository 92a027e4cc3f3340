// The emulators publish oslo.messaging notifications to RabbitMQ as Nova does: a create sends instance.create.start
// and instance.create.end, in the 2.0 envelope, on the `nova` exchange with the versioned routing key; the region
// controller sends host.update (old and new status) on its own exchange when a host enters or leaves maintenance.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type ChannelModel } from 'amqplib';
import { issueToken, startTestCloud, type DemoCloud } from '../helpers/cloud.ts';
import { AMQP_URL, exchangePrefix, requireAmqp } from '../helpers/amqp.ts';

const amqp = await requireAmqp('emulator notifications');

describe.skipIf(!amqp)('emulator notifications', () => {
  const prefix = exchangePrefix();
  let cloud: DemoCloud;
  let conn: ChannelModel;
  const received: { routingKey: string; exchange: string; body: any }[] = [];
  const controller: any[] = [];

  beforeAll(async () => {
    cloud = await startTestCloud({ notifyAmqpUrl: AMQP_URL, notifyExchangePrefix: prefix });
    conn = await connect(AMQP_URL);
    const ch = await conn.createChannel();
    const { queue } = await ch.assertQueue('', { exclusive: true, autoDelete: true });
    await ch.bindQueue(queue, `${prefix}nova`, 'versioned_notifications.*');
    await ch.consume(
      queue,
      (m) => m && received.push({ routingKey: m.fields.routingKey, exchange: m.fields.exchange, body: JSON.parse(m.content.toString()) }),
      {
        noAck: true,
      },
    );
    const hosts = await ch.assertQueue('', { exclusive: true, autoDelete: true });
    await ch.bindQueue(hosts.queue, `${prefix}region-controller`, 'notifications.*');
    await ch.consume(hosts.queue, (m) => m && controller.push(JSON.parse(JSON.parse(m.content.toString())['oslo.message'])), { noAck: true });
  });
  afterAll(async () => {
    await conn?.close();
    await cloud?.close();
  });

  it('a Nova create publishes instance.create.start and instance.create.end in the oslo envelope', async () => {
    const { token } = await issueToken(cloud, 'alice');
    const image = cloud.cloud.images.find((i) => i.status === 'active' && i.visibility === 'public')!;
    const res = await fetch(`${cloud.urls.nova}/v2.1/servers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-auth-token': token, 'openstack-api-version': 'compute 2.90' },
      body: JSON.stringify({ server: { name: 'notified', flavorRef: cloud.cloud.flavors[0].id, imageRef: image.id, networks: 'auto' } }),
    });
    expect(res.status).toBe(202);
    const id = ((await res.json()) as any).server.id;
    const messages = () =>
      received.map((r) => ({ ...r, message: JSON.parse(r.body['oslo.message']) })).filter((r) => r.message.payload['nova_object.data'].uuid === id);
    await expect.poll(() => messages().map((m) => m.message.event_type), { timeout: 5_000 }).toContain('instance.create.end');
    const all = messages();
    const types = all.map((m) => m.message.event_type);
    expect(types.indexOf('instance.create.start')).toBeLessThan(types.indexOf('instance.create.end'));
    const start = all.find((m) => m.message.event_type === 'instance.create.start')!;
    expect(start.exchange).toBe(`${prefix}nova`);
    expect(start.routingKey).toBe('versioned_notifications.info');
    expect(start.body['oslo.version']).toBe('2.0');
    expect(typeof start.body['oslo.message']).toBe('string');
    expect(start.message).toMatchObject({ priority: 'INFO', publisher_id: expect.stringMatching(/^nova-compute:/), message_id: expect.any(String) });
    expect(start.message.timestamp).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
    const end = all.find((m) => m.message.event_type === 'instance.create.end')!.message.payload;
    expect(end['nova_object.name']).toBe('InstanceCreatePayload');
    expect(end['nova_object.data']).toMatchObject({
      uuid: id,
      tenant_id: cloud.cloud.users.find((u) => u.name === 'alice')!.projectId,
      state: 'active',
      power_state: 'running',
      task_state: null,
    });
    const update = all.find((m) => m.message.event_type === 'instance.update')!.message.payload['nova_object.data'];
    expect(update.state_update['nova_object.data']).toMatchObject({
      old_state: 'building',
      state: 'active',
      old_task_state: 'spawning',
      new_task_state: null,
    });
  });

  it('host maintenance on the region controller publishes host.update with the new and old status', async () => {
    const host = cloud.cloud.hosts.find((h) => h.status === 1)!;
    const res = await fetch(`${cloud.legacyUrl}/zones/${host.zoneId}/hosts/${host.id}/maintenance`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-api-key': cloud.legacyApiKey },
      body: JSON.stringify({ enabled: true }),
    });
    expect(((await res.json()) as any).ret).toBe(0);
    await expect.poll(() => controller.filter((m) => m.payload.host_id === host.id).length, { timeout: 5_000 }).toBe(1);
    const message = controller.find((m) => m.payload.host_id === host.id);
    expect(message).toMatchObject({
      event_type: 'host.update',
      publisher_id: 'region-controller',
      payload: { host_id: host.id, hostname: host.hostname, zone_id: host.zoneId, status: 'maintenance', old_status: 'online' },
    });
  });
});
