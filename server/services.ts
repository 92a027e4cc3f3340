// The long-lived parts of the gateway, built once at start-up and shared by every request: the HTTP stack
// (agents, retry policy, in-flight GETs), the token validator and its cache, the planner's size hints, the
// metering store and the dashboard cache. Nothing here holds caller-visible data unless it is keyed by the
// caller's tenant scope.
import type { MosaicConfig } from '../core/config.ts';
import type { FleetRecord } from '../resolvers/fleet-stats.ts';
import { TtlCache, jsonWithDates } from '../core/ttl-cache.ts';
import { KeystoneAuth, Operations, SizeHints, createHttpStack, type HttpStack, type MeteringReader } from '../datasources/index.ts';
import type { GraphServices } from '../resolvers/context.ts';
import type { SharedStore } from '../core/shared-store.ts';
import { MemoryStore } from '../core/memory-store.ts';
import { CardinalityStats } from '../datasources/planner/cardinality.ts';
import { createRequire } from 'node:module';
import { createEventHub } from '../datasources/events/index.ts';
import { MemoryDocumentStore, MongoDocumentStore, type DocumentStore } from '../datasources/persisted/document-store.ts';

export interface Services extends GraphServices {
  stack: HttpStack;
  hints: SizeHints;
  /** List lengths learned per tenant scope, for the query-cost limit (server/limits/). */
  cardinality: CardinalityStats;
  /** Null when no MongoDB is configured: metric fields then answer MOSAIC_ERR_METRICS_OFF. */
  metering: MeteringReader | null;
  /** What replicas share: Redis when configured (datasources/shared-state/create-store.ts), else this process. */
  store: SharedStore;
  close(): Promise<void>;
}

/** The registry of persisted operations: MongoDB when configured (shared by replicas), else this process. */
function documentStore(config: MosaicConfig): { documents: DocumentStore; close(): Promise<void> } {
  if (!config.mongodb.uri) return { documents: new MemoryDocumentStore(), close: async () => {} };
  // Its own small pool: the driver connects on first use, so start-up does not wait on MongoDB for this. The driver
  // itself is loaded only here, with a uri configured (~24 MB of resting RSS otherwise spent for nothing).
  const { MongoClient } = createRequire(import.meta.url)('mongodb') as typeof import('mongodb');
  const client = new MongoClient(config.mongodb.uri, { serverSelectionTimeoutMS: config.mongodb.timeoutMs, maxPoolSize: 5 });
  return { documents: new MongoDocumentStore(client.db(config.mongodb.database), config.mongodb.timeoutMs), close: () => client.close() };
}

export function createServices(config: MosaicConfig, metering: MeteringReader | null = null, store: SharedStore = new MemoryStore()): Services {
  const stack = createHttpStack(config);
  const registry = documentStore(config);
  // Tokens cached in the store for every replica; revocation events read in the background with the service
  // account when keystone.serviceUser is set (datasources/keystone/revocations.ts).
  const keystone = new KeystoneAuth(stack, store);
  keystone.start();
  // Mutations as operations in MongoDB; the tracker resumes unfinished ones now (datasources/operations/).
  const operations = Operations.connect(stack, keystone);
  operations?.start();
  // The cloud's notifications from RabbitMQ when events.amqpUrl is set: they finish operations and feed subscriptions.
  const events = createEventHub(config, operations, store, stack);
  return {
    config,
    stack,
    keystone,
    hints: new SizeHints(),
    cardinality: new CardinalityStats(),
    metering,
    store,
    documents: registry.documents,
    operations,
    events,
    // Dashboards are answered from one computation per tenant scope for fleet.cacheTtlMs, across replicas when
    // the store is Redis. Only whole answers are kept (partial ones carry Error values and are never shared).
    fleetCache: new TtlCache<FleetRecord>(config.fleet.cacheTtlMs, 'fleet', {
      store,
      prefix: 'fleet:',
      encode: (v) => jsonWithDates.encode(v),
      decode: (t) => jsonWithDates.decode<FleetRecord>(t),
    }),
    async close() {
      await events.close();
      await operations?.close();
      await keystone.close();
      stack.close();
      await metering?.close();
      await store.close();
      await registry.close();
    },
  };
}
