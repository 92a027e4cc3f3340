// The subscriptions (schema/events.graphql): thin — check the arguments and who may see what, then hand back a
// source from datasources/events/ wrapped in the connection's limits. Authorised like queries: an operation the
// caller may read (operation-access.ts), events of the caller's own project unless an administrator. The WebSocket
// side — authentication at connection_init, the limits' bookkeeping, a fresh context per event — is
// server/subscriptions/, which puts a SubscriptionSession on the context.
import type { InstanceEvent, InstanceEventKind, SubscriptionResolvers } from './generated-types.ts';
import type { GraphContext } from './context.ts';
import { MosaicError } from '../core/errors.ts';
import { domainEvents, operationUpdates, type DomainEvent, type EventKind } from '../datasources/events/index.ts';
import { operationsOf, visibleOperation } from './operation-access.ts';
import { requireOwnProject } from './authorize.ts';
import { expectGlobalId } from './global-id.ts';
import type { OperationRecord } from '../datasources/operations/types.ts';

/** What a subscription's context carries besides the GraphContext (server/subscriptions/session.ts implements it). */
export interface SubscriptionSession {
  /** Counts one subscription against the connection's and the caller's limits (MOSAIC_ERR_TOO_MANY_SUBSCRIPTIONS); returns its release. */
  admit(): () => void;
  /** Readies the context for the next event: fresh loaders, the token checked again (throws once it is revoked). */
  refresh(): Promise<void>;
}

const sessionOf = (ctx: GraphContext): SubscriptionSession | null =>
  (ctx as GraphContext & { subscriptionSession?: SubscriptionSession }).subscriptionSession ?? null;

/** The source, counted against the limits until it ends or the subscriber leaves, each value on a refreshed context. */
function limited<T>(ctx: GraphContext, source: AsyncIterableIterator<T>): AsyncIterableIterator<T> {
  const session = sessionOf(ctx);
  if (!session) return source;
  let release: (() => void) | null;
  try {
    release = session.admit();
  } catch (err) {
    // Refused past a limit: the source ends now, releasing what it holds (listeners, the poller's count).
    void source.return?.();
    throw err;
  }
  const done = () => {
    release?.();
    release = null;
  };
  const it: AsyncIterableIterator<T> = {
    async next() {
      try {
        const r = await source.next();
        if (r.done) done();
        else await session.refresh();
        return r;
      } catch (err) {
        done();
        await source.return?.();
        throw err;
      }
    },
    async return() {
      done();
      return (await source.return?.()) ?? { value: undefined, done: true };
    },
    [Symbol.asyncIterator]: () => it,
  };
  return it;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const GRAPH_KIND: Partial<Record<EventKind, InstanceEventKind>> = {
  'instance.created': 'CREATED',
  'instance.status': 'STATUS_CHANGED',
  'instance.deleted': 'DELETED',
  'disk.attached': 'DISK_ATTACHED',
  'disk.detached': 'DISK_DETACHED',
};

const asInstanceEvent = (e: DomainEvent): InstanceEvent => ({
  kind: GRAPH_KIND[e.kind]!,
  instanceId: e.instanceId!,
  projectId: e.projectId!,
  status: e.resourceType === 'Instance' ? e.status : null,
  oldStatus: e.oldStatus,
  taskState: e.taskState,
  diskId: e.resourceType === 'Disk' ? e.resourceId : null,
  at: e.at,
  eventType: e.eventType,
});

export const Subscription: SubscriptionResolvers = {
  operationUpdated: {
    subscribe: async (_, { id }, ctx) => {
      const op = await visibleOperation(ctx, expectGlobalId(id, 'Operation'));
      if (!op) throw new MosaicError('MOSAIC_ERR_NOT_FOUND', `No operation ${id}`);
      const store = operationsOf(ctx).store;
      return limited(
        ctx,
        operationUpdates(op, (opId) => store.get(opId), ctx.services.events.operationChanges),
      );
    },
    resolve: (op: OperationRecord) => op,
  },
  instanceEvents: {
    subscribe: async (_, { filter }, ctx) => {
      const caller = ctx.caller;
      requireOwnProject(caller, filter?.projectId);
      const events = ctx.services.events;
      // From the bus, or without one from polling Nova's changes-since while this subscription is open (README
      // "Events and subscriptions"); a hub with neither has nothing to deliver.
      if (!events.instanceEventsAvailable) throw new MosaicError('MOSAIC_ERR_EVENTS_OFF');
      const projectId = caller.isAdmin ? (filter?.projectId ?? null) : caller.projectId;
      const instanceId = filter?.instanceId
        ? UUID.test(filter.instanceId)
          ? filter.instanceId
          : expectGlobalId(filter.instanceId, 'Instance')
        : null;
      const kinds = filter?.kinds?.length ? new Set(filter.kinds) : null;
      const accept = (e: DomainEvent) => {
        const kind = GRAPH_KIND[e.kind];
        if (!kind || !e.instanceId || !e.projectId) return false;
        if (projectId !== null && e.projectId !== projectId) return false;
        return (instanceId === null || e.instanceId === instanceId) && (kinds === null || kinds.has(kind));
      };
      return limited(ctx, domainEvents(events, accept, events.watchInstances(caller)));
    },
    resolve: (e: DomainEvent) => asInstanceEvent(e),
  },
};
