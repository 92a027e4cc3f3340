// The emulated cloud's notifier: publishes oslo.messaging notifications to RabbitMQ as Nova, Cinder and the region
// controller do on every state change, so Mosaic's consumer (datasources/events/) reads what a real cloud sends.
//
// Where they go, as real deployments route them (oslo.messaging's rabbit driver,
// https://docs.openstack.org/oslo.messaging/latest/reference/notifier.html): each service publishes on its own
// control_exchange — `nova`, `cinder`, `neutron` — a non-durable topic exchange, with the routing key `<topic>.<priority>`:
// Nova's versioned notifications on `versioned_notifications.info` (the topic nova.conf
// [notifications]/versioned_notifications_topics names, https://docs.openstack.org/nova/latest/admin/notifications.html),
// Cinder's and Neutron's (unversioned only) on `notifications.info`. The region controller is ours: `region-controller`,
// `notifications.info`. A `prefix` isolates one cloud's exchanges from another's on a shared broker (tests).
//
// The body is the oslo.messaging 2.0 envelope: `{"oslo.version": "2.0", "oslo.message": "<JSON string>"}`.
// Publishing never blocks or fails an emulated request: while the broker is away messages are dropped (oslo
// would retry, then drop too) and the connection is re-made with backoff.
import { randomUUID } from 'node:crypto';
import { connect, type Channel, type ChannelModel } from 'amqplib';

export type NotifyingService = 'nova' | 'cinder' | 'neutron' | 'region-controller';
export const NOTIFYING_SERVICES: NotifyingService[] = ['nova', 'cinder', 'neutron', 'region-controller'];

/** oslo's timestamp spelling: UTC without a zone, microseconds (`2026-01-15 10:58:43.123000`). */
export const osloTimestamp = (d: Date = new Date()): string => d.toISOString().replace('T', ' ').slice(0, 23) + '000';

export interface Notification {
  publisherId: string;
  eventType: string;
  payload: unknown;
  priority?: 'INFO' | 'ERROR' | 'WARN';
}

/** The oslo.messaging 2.0 envelope around one notification. */
export function osloEnvelope(n: Notification, at = new Date()): { 'oslo.version': '2.0'; 'oslo.message': string } {
  const message = {
    message_id: randomUUID(),
    publisher_id: n.publisherId,
    event_type: n.eventType,
    priority: n.priority ?? 'INFO',
    payload: n.payload,
    timestamp: osloTimestamp(at),
  };
  return { 'oslo.version': '2.0', 'oslo.message': JSON.stringify(message) };
}

const MAX_BACKOFF_MS = 10_000;

export class AmqpNotifier {
  private model: ChannelModel | null = null;
  private channel: Channel | null = null;
  private closed = false;
  private retryMs = 500;
  private timer: NodeJS.Timeout | null = null;
  /** Messages published and dropped (broker away), for tests and `/_emulator/stats`-like checks. */
  readonly counts = { published: 0, dropped: 0 };

  private constructor(
    private readonly url: string,
    readonly prefix: string,
  ) {}

  /** Connects now (rejects when the broker does not answer, so a caller can fall back); reconnects by itself later. */
  static async connect(url: string, prefix = ''): Promise<AmqpNotifier> {
    const notifier = new AmqpNotifier(url, prefix);
    await notifier.open();
    return notifier;
  }

  exchangeOf(service: NotifyingService): string {
    return this.prefix + service;
  }

  private async open(): Promise<void> {
    const model = await connect(this.url, { timeout: 2_000 });
    try {
      const channel = await model.createChannel();
      // As oslo.messaging declares them (amqp_durable_queues=False): topic, not durable, not auto-deleted.
      for (const s of NOTIFYING_SERVICES) await channel.assertExchange(this.exchangeOf(s), 'topic', { durable: false, autoDelete: false });
      this.model = model;
      this.channel = channel;
      this.retryMs = 500;
      const lost = () => {
        if (this.model !== model) return;
        this.model = this.channel = null;
        this.reconnectLater();
      };
      model.on('error', () => {});
      model.on('close', lost);
      channel.on('error', () => {});
      channel.on('close', lost);
    } catch (err) {
      await model.close().catch(() => {});
      throw err;
    }
  }

  private reconnectLater(): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.open().catch(() => {
        this.retryMs = Math.min(this.retryMs * 2, MAX_BACKOFF_MS);
        this.reconnectLater();
      });
    }, this.retryMs);
    this.timer.unref();
  }

  /** Publishes one notification; `versioned` picks Nova's versioned topic. */
  publish(service: NotifyingService, n: Notification, versioned = false): void {
    const channel = this.channel;
    if (!channel) {
      this.counts.dropped++;
      return;
    }
    const topic = versioned ? 'versioned_notifications' : 'notifications';
    const routingKey = `${topic}.${(n.priority ?? 'INFO').toLowerCase()}`;
    try {
      channel.publish(this.exchangeOf(service), routingKey, Buffer.from(JSON.stringify(osloEnvelope(n))), {
        contentType: 'application/json',
        contentEncoding: 'utf-8',
      });
      this.counts.published++;
    } catch {
      this.counts.dropped++;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const model = this.model;
    this.model = this.channel = null;
    await model?.close().catch(() => {});
  }
}
