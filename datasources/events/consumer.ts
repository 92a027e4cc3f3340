// Reads the cloud's notifications from RabbitMQ: one long-lived AMQP connection per gateway, its own exclusive,
// auto-deleted, server-named queue bound to every configured exchange (`nova`, `cinder`, `region-controller`)
// for `versioned_notifications.*` (Nova's versioned ones) and `notifications.*` (Cinder's, the region
// controller's). Each message is normalised (normalize.ts) and handed on; a malformed one is dropped and counted,
// never thrown. The queue is the replica's own: the broker fans every notification out to every replica, so each
// gateway hears all events without a relay (see event-hub.ts for why that is the fan-out).
// When RabbitMQ goes away (restart, network) the connection is re-made with backoff (250 ms doubling to 10 s); the
// queue is declared again. Messages sent while no queue existed are lost to this replica: operations are still
// finished by polling (datasources/operations/tracker.ts), which is why polling stays the fallback.
import type { ChannelModel } from 'amqplib';
import { normalize } from './normalize.ts';
import type { DomainEvent } from './types.ts';

export interface ConsumerStatus {
  connected: boolean;
  /** Normalised events handed on. */
  received: number;
  /** Malformed messages dropped. */
  dropped: number;
  /** Well-formed notifications of types nothing here reads. */
  ignored: number;
  reconnects: number;
  lastError: string | null;
}

/** The exchanges are declared as oslo.messaging declares them, so whichever side comes first, both agree. */
const EXCHANGE_OPTIONS = { durable: false, autoDelete: false } as const;
const BINDINGS = ['versioned_notifications.*', 'notifications.*'];
const MIN_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 10_000;

export class NotificationConsumer {
  private model: ChannelModel | null = null;
  private running = false;
  private timer: NodeJS.Timeout | null = null;
  private backoffMs = MIN_BACKOFF_MS;
  private connectedWaiters: (() => void)[] = [];
  readonly status: ConsumerStatus = { connected: false, received: 0, dropped: 0, ignored: 0, reconnects: 0, lastError: null };

  constructor(
    private readonly url: string,
    private readonly exchanges: readonly string[],
    private readonly onEvent: (event: DomainEvent) => void,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.open();
  }

  /** Resolves once consuming (tests and readiness); never rejects. */
  connected(): Promise<void> {
    return this.status.connected ? Promise.resolve() : new Promise((resolve) => this.connectedWaiters.push(resolve));
  }

  private async open(): Promise<void> {
    if (!this.running) return;
    let model: ChannelModel | null = null;
    try {
      // amqplib is imported on the first connection, so a gateway without events.amqpUrl never loads it.
      const { connect } = await import('amqplib');
      model = await connect(this.url, { timeout: 2_000 });
      model.on('error', () => {});
      const channel = await model.createChannel();
      channel.on('error', () => {});
      for (const exchange of this.exchanges) await channel.assertExchange(exchange, 'topic', EXCHANGE_OPTIONS);
      const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
      for (const exchange of this.exchanges) for (const key of BINDINGS) await channel.bindQueue(queue, exchange, key);
      // No acks: the queue is exclusive and dies with the connection, so a redelivery could never come anyway.
      await channel.consume(queue, (msg) => msg && this.handle(msg.content), { noAck: true });
      if (!this.running) {
        await model.close().catch(() => {});
        return;
      }
      this.model = model;
      const lost = (err?: unknown) => {
        if (this.model !== model) return;
        this.model = null;
        this.status.connected = false;
        if (err) this.status.lastError = String((err as Error).message ?? err);
        this.retry();
      };
      model.on('close', lost);
      channel.on('close', () => lost());
      this.backoffMs = MIN_BACKOFF_MS;
      this.status.connected = true;
      for (const w of this.connectedWaiters.splice(0)) w();
    } catch (err) {
      this.status.lastError = String((err as Error).message ?? err);
      await model?.close().catch(() => {});
      this.retry();
    }
  }

  private retry(): void {
    if (!this.running || this.timer) return;
    this.status.reconnects++;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.open();
    }, this.backoffMs);
    this.timer.unref();
    this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
  }

  private handle(content: Buffer): void {
    let event: ReturnType<typeof normalize>;
    try {
      event = normalize(content);
    } catch {
      event = null;
    }
    if (event === 'ignored') this.status.ignored++;
    else if (event === null) this.status.dropped++;
    else {
      this.status.received++;
      try {
        this.onEvent(event);
      } catch {
        // A listener's bug must not stop the stream.
      }
    }
  }

  async close(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    const model = this.model;
    this.model = null;
    this.status.connected = false;
    await model?.close().catch(() => {});
  }
}
