// The gateway's one stream of domain events (types.ts), long-lived, built in server/services.ts: the RabbitMQ
// consumer feeds it when `events.amqpUrl` is set; operations (settle.ts, through the tracker) and subscriptions
// listen. Without a bus — or while it is unreachable — nothing arrives and the listeners' polling fallbacks do
// the work: the tracker polls each running operation, operationUpdated re-reads it.
//
// Fan-out across replicas: every replica consumes from RabbitMQ itself, on its own exclusive queue, rather than
// one consumer relaying through the SharedStore (Redis pub/sub). The broker already copies each notification to
// every bound queue, so this costs one connection per replica and no second hop; it keeps working with Redis down
// or absent; and each replica's events arrive in the broker's order, which a relay would have to preserve. What
// replicas do share through the store is what only one of them knows: an operation's state changed (tracker.ts
// finishes it on one replica; server/subscriptions/ tells subscribers on all of them).
//
// Without the bus (none configured, or unreachable now) instanceEvents are made by polling Nova's changes-since
// (changes-poller.ts), only while at least one instanceEvents subscription is open; they are published here like
// the bus's, so operations hear of them too.
import type { Caller } from '../../core/caller.ts';
import { NotificationConsumer, type ConsumerStatus } from './consumer.ts';
import type { DomainEvent } from './types.ts';
import type { OperationChanges } from './operation-changes.ts';
import { ChangesPoller } from './changes-poller.ts';
import type { HttpStack } from '../http/client.ts';

export type EventListener = (event: DomainEvent) => void;
/** How the gateway learns about changes: RabbitMQ notifications (`bus`) or asking the upstreams (`polling`). */
export type EventsMode = 'bus' | 'polling';

export class EventHub {
  private readonly listeners = new Set<EventListener>();
  private readonly consumer: NotificationConsumer | null;
  /** Nova changes-since while the bus is not consumed; null without an HTTP stack (then instanceEvents needs the bus). */
  readonly poller: ChangesPoller | null;

  constructor(
    config: { amqpUrl: string | null; exchanges: readonly string[]; pollIntervalMs?: number },
    /** Which operations changed status, on any replica (operation-changes.ts). */
    readonly operationChanges: OperationChanges,
    stack?: HttpStack,
  ) {
    this.consumer = config.amqpUrl
      ? new NotificationConsumer(config.amqpUrl, config.exchanges, (e) => {
          this.poller?.observe(e); // the poller's Cinder state follows the bus (changes-poller.ts)
          this.publish(e);
        })
      : null;
    this.poller = stack
      ? new ChangesPoller(
          stack,
          config.pollIntervalMs ?? 2_000,
          (e) => this.publish(e),
          () => this.mode === 'bus',
        )
      : null;
  }

  /** Whether instanceEvents can be served: from the bus, or by polling Nova. */
  get instanceEventsAvailable(): boolean {
    return this.consumer !== null || this.poller !== null;
  }

  /** An instanceEvents subscriber arrived: polls Nova with `caller`'s token while the bus is not consumed; returns its release. */
  watchInstances(caller: Caller): () => void {
    return this.poller ? this.poller.watch(caller) : () => {};
  }

  start(): void {
    this.consumer?.start();
  }

  /** `bus` while RabbitMQ is consumed, `polling` otherwise (no bus configured, or it is unreachable now). */
  get mode(): EventsMode {
    return this.consumer?.status.connected ? 'bus' : 'polling';
  }

  /** Whether a bus is configured at all (it may be down right now). */
  get configured(): boolean {
    return this.consumer !== null;
  }

  status(): (ConsumerStatus & { mode: EventsMode; polling: boolean }) | { mode: EventsMode; polling: boolean } {
    const polling = this.mode === 'polling' && (this.poller?.active ?? false);
    return this.consumer ? { ...this.consumer.status, mode: this.mode, polling } : { mode: this.mode, polling };
  }

  /** Resolves once the bus is consumed; at once when none is configured. */
  connected(): Promise<void> {
    return this.consumer ? this.consumer.connected() : Promise.resolve();
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Hands one event to every listener (the consumer's; tests may inject). */
  publish(event: DomainEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // One listener failing must not starve the others.
      }
    }
  }

  async close(): Promise<void> {
    this.listeners.clear();
    this.poller?.stop();
    await this.consumer?.close();
    await this.operationChanges.close();
  }
}
