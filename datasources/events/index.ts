// The event stream's wiring, in one place for server/services.ts: the hub (event-hub.ts) consuming RabbitMQ when
// `events.amqpUrl` is set, each event offered to the operation tracker (settle.ts: finish or poll now), and every
// status the tracker records published on the SharedStore so operationUpdated subscribers on every replica hear it
// (Redis pub/sub with `redis.url`, this process otherwise). With the HTTP stack, instanceEvents work without the bus
// too, from Nova's changes-since (changes-poller.ts).
import type { MosaicConfig } from '../../core/config.ts';
import type { SharedStore } from '../../core/shared-store.ts';
import type { Operations } from '../operations/operations.ts';
import type { HttpStack } from '../http/client.ts';
import { EventHub } from './event-hub.ts';
import { settleBy } from './settle.ts';
import { targetKeyOf } from './types.ts';
import { OperationChanges } from './operation-changes.ts';

export { EventHub, type EventsMode } from './event-hub.ts';
export type { DomainEvent, EventKind } from './types.ts';
export { operationUpdates, domainEvents } from './streams.ts';

/** The SharedStore channel carrying the ids of operations whose status changed. */
export const OPERATION_CHANGES_CHANNEL = 'operations:changed';

export function createEventHub(config: MosaicConfig, operations: Operations | null, store: SharedStore, stack?: HttpStack): EventHub {
  const hub = new EventHub(config.events, new OperationChanges(store, OPERATION_CHANGES_CHANNEL), stack);
  if (operations) {
    hub.subscribe(
      (e) => void operations.tracker.onResourceEvent({ type: e.resourceType, key: targetKeyOf(e) }, e.projectId, (op) => settleBy(e, op)),
    );
    operations.tracker.onChange((op) => void store.publish(OPERATION_CHANGES_CHANNEL, op.id).catch(() => {}));
  }
  hub.start();
  return hub;
}
