// The billing subgraph as a running service: Apollo Server on Fastify (as the gateway's own Apollo runtime)
// at POST /graphql, its data in its own MongoDB database. Before GraphQL sees a request it must carry the
// gateway's secret (else 401) and, when it names a caller, a valid signature over it (else 401): see trust.ts.
// For tests and the demo it records every request it receives (`requests`) and can be made slow (`delayMs`).
import Fastify from 'fastify';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import fastifyApollo, { fastifyApolloDrainPlugin } from '@as-integrations/fastify';
import { MongoClient, type Db } from 'mongodb';
import type { Cloud } from '../seed/types.ts';
import { buildBillingSchema, billingContext, type BillingContext } from './schema.ts';
import { callerOf, fromGateway, type BillingCaller } from './trust.ts';
import { pricesOf, seedPrices } from './prices.ts';
import { seedUsage, usageOf } from './usage.ts';
import { BillingSnapshot } from './snapshot.ts';

export interface BillingOptions {
  /** The database (its own: e.g. `<db>_billing`), or a URI and a database name to connect to. */
  db?: Db;
  mongoUri?: string;
  database?: string;
  secret: string;
  port?: number;
  host?: string;
  /** Answer from an in-memory snapshot of prices and usage re-read at most this often (snapshot.ts); 0 (default): read per request. */
  cacheTtlMs?: number;
  /** Seeds the price list and usage from this cloud, replacing what the collections held. */
  seedFrom?: Pick<Cloud, 'flavors' | 'volumes' | 'legacyDisks' | 'servers' | 'floatingIps'>;
}

export interface RecordedRequest {
  headers: Record<string, string | string[] | undefined>;
  body: { query?: string; variables?: Record<string, unknown>; operationName?: string } | undefined;
  status: number;
}

export interface BillingServer {
  url: string;
  db: Db;
  /** Every request received since the last reset(), refused ones included. */
  requests: RecordedRequest[];
  /** Milliseconds each request waits before it is answered (a slow service). */
  delayMs: number;
  reset(): void;
  close(): Promise<void>;
}

/** Replaces the price list and the usage records with those of a cloud (idempotent). */
export async function seedBilling(db: Db, cloud: NonNullable<BillingOptions['seedFrom']>): Promise<void> {
  await pricesOf(db).deleteMany({});
  await pricesOf(db).insertMany(seedPrices(cloud));
  await usageOf(db).deleteMany({});
  const usage = seedUsage(cloud);
  if (usage.length > 0) await usageOf(db).insertMany(usage);
}

export async function startBillingSubgraph(options: BillingOptions): Promise<BillingServer> {
  let client: MongoClient | null = null;
  let db = options.db;
  if (!db) {
    if (!options.mongoUri) throw new Error('billing: a MongoDB database or URI is required');
    client = new MongoClient(options.mongoUri, { serverSelectionTimeoutMS: 5_000 });
    await client.connect();
    db = client.db(options.database ?? 'mosaic_billing');
  }
  if (options.seedFrom) await seedBilling(db, options.seedFrom);
  const database = db;
  const snapshot = options.cacheTtlMs ? new BillingSnapshot(database, options.cacheTtlMs) : undefined;
  if (snapshot) await snapshot.get();
  const app = Fastify({ logger: false });
  const server: BillingServer = {
    url: '',
    db: database,
    requests: [],
    delayMs: 0,
    reset: () => void (server.requests.length = 0),
    close: async () => {
      await app.close();
      await client?.close();
    },
  };
  const callers = new WeakMap<object, BillingCaller | null>();
  const refuse = (message: string) => ({ errors: [{ message, extensions: { code: 'UNAUTHENTICATED' } }] });
  app.addHook('preHandler', async (request, reply) => {
    const record: RecordedRequest = { headers: request.headers, body: request.body as RecordedRequest['body'], status: 200 };
    server.requests.push(record);
    if (server.delayMs > 0) await new Promise((r) => setTimeout(r, server.delayMs));
    if (!fromGateway(request.headers, options.secret)) {
      record.status = 401;
      return reply.code(401).send(refuse('billing answers the gateway only'));
    }
    const caller = callerOf(request.headers, options.secret);
    if (caller === 'invalid') {
      record.status = 401;
      return reply.code(401).send(refuse('the caller identity is not signed by the gateway'));
    }
    callers.set(request, caller);
  });
  const apollo = new ApolloServer<BillingContext>({
    schema: buildBillingSchema(),
    // No cache hints to compute per field (billing's answers are per caller and per instant: nothing to cache).
    plugins: [fastifyApolloDrainPlugin(app), ApolloServerPluginInlineTraceDisabled(), ApolloServerPluginCacheControlDisabled()],
  });
  await apollo.start();
  await app.register(fastifyApollo(apollo), {
    path: '/graphql',
    context: async (request) => billingContext(database, callers.get(request) ?? null, new Date(), snapshot),
  });
  const address = await app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
  server.url = `${address}/graphql`;
  return server;
}
