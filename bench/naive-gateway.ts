// The naive baseline's server: the project's schema (readTypeDefs) with bench/naive-resolvers.ts, served by
// Mercurius without JIT on a plain Fastify app. It shares Mosaic's long-lived parts that are not about batching
// — the HTTP stack, the cached Keystone token validation, the datasources' JSON mapping — so the comparison
// isolates what loaders and level batching buy. Its upstream client makes one HTTP call per datasource call:
// no per-request URL memo, as code without one would.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import mercurius from 'mercurius';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { readTypeDefs } from '../server/schema.ts';
import { tokenFromHeaders } from '../server/context.ts';
import { MosaicError } from '../core/errors.ts';
import type { Caller } from '../core/caller.ts';
import type { ServiceName } from '../core/services.ts';
import type { Services } from '../server/services.ts';
import { BatchScheduler, UpstreamClient, createSources, type MeteringReader, type Sources, type UpstreamResponse } from '../datasources/index.ts';
import { naiveResolvers } from './naive-resolvers.ts';
import { abortSignalFor } from '../server/app.ts';

/** Every GET goes to the upstream: no de-duplication of identical URLs within a request. */
class DirectUpstreamClient extends UpstreamClient {
  override get<T = any>(service: ServiceName, url: string, headers: Record<string, string> = {}, accept?: number[]): Promise<UpstreamResponse<T>> {
    return this.request<T>(service, { url, headers, accept });
  }
}

export interface NaiveContext extends Sources {
  caller: Caller;
  config: Services['config'];
  upstream: UpstreamClient;
  /** The metering store, read one resource at a time; null when the bench has no database. */
  metering: MeteringReader | null;
}

async function naiveContext(services: Services, headers: Record<string, string | string[] | undefined>, signal: AbortSignal): Promise<NaiveContext> {
  const { config } = services;
  const upstream = new DirectUpstreamClient(services.stack, new BatchScheduler(0), signal);
  const token = tokenFromHeaders(headers);
  let callerOrNull: Caller | null = null;
  let authError: MosaicError = new MosaicError('MOSAIC_ERR_NO_TOKEN');
  if (token) {
    try {
      callerOrNull = await services.keystone.validate(upstream, token);
    } catch {
      authError = new MosaicError('MOSAIC_ERR_BAD_TOKEN');
    }
  }
  const caller = () => {
    if (!callerOrNull) throw authError;
    return callerOrNull;
  };
  // The sources read the caller lazily (its token), so a request without one fails at the first field.
  const lazyCaller = new Proxy({} as Caller, { get: (_, key) => caller()[key as keyof Caller] });
  return {
    ...createSources(upstream, lazyCaller, config),
    get caller() {
      return caller();
    },
    upstream,
    config,
    metering: services.metering,
  };
}

export async function buildNaiveGateway(services: Services): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: services.config.server.bodyLimitBytes });
  const schema = makeExecutableSchema({ typeDefs: readTypeDefs(), resolvers: naiveResolvers as never });
  await app.register(mercurius, {
    schema,
    path: '/graphql',
    graphiql: false,
    context: ((request: FastifyRequest, reply: FastifyReply) => naiveContext(services, request.headers, abortSignalFor(reply))) as never,
  });
  app.get('/healthz', async () => ({ status: 'ok', runtime: 'naive' }));
  return app;
}
