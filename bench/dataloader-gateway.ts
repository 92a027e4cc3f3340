// The strong baseline's server (bench variant `dataloader`): the project's schema (readTypeDefs) with
// bench/dataloader-resolvers.ts, served by Apollo Server 5 on Fastify through @as-integrations/fastify — the same
// HTTP stack and GraphQL runtime as the `mosaic-apollo` variant, so only the resolver strategy differs. It is what
// a competent team writes with Apollo: per-request DataLoaders over REST, GETs de-duplicated within a request (as
// RESTDataSource does by default), and nothing shared across requests. Like the naive baseline it reuses Mosaic's
// long-lived parts that are not about batching — the HTTP client and its keep-alive agents, the cached Keystone
// token validation, the datasources' JSON mapping — and Mosaic's error formatting, so errors read alike. It does
// not add Mosaic's request guards (limits, cost, CSRF hook, metrics hooks): those cost Mosaic a little per request
// and the baseline nothing, which errs in the baseline's favour.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { ApolloServer, type BaseContext } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import fastifyApollo, { fastifyApolloDrainPlugin } from '@as-integrations/fastify';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { readTypeDefs } from '../server/schema.ts';
import { tokenFromHeaders } from '../server/context.ts';
import { formatError, isGraphQLError } from '../server/format-error.ts';
import { abortSignalFor } from '../server/app.ts';
import { MosaicError } from '../core/errors.ts';
import type { Caller } from '../core/caller.ts';
import type { ServiceName } from '../core/services.ts';
import type { Services } from '../server/services.ts';
import { BatchScheduler, UpstreamClient, createSources, type UpstreamResponse } from '../datasources/index.ts';
import { createDataloaders, dataloaderResolvers, type DataloaderContext } from './dataloader-resolvers.ts';

/**
 * GETs de-duplicated within one request (RESTDataSource's default, `deduplicate-during-request-lifetime`) and
 * never shared with other requests: Mosaic's in-flight sharing (datasources/http/coalesce.ts) is bypassed.
 */
class RequestScopedClient extends UpstreamClient {
  private readonly seen = new Map<string, Promise<UpstreamResponse>>();
  override get<T = any>(service: ServiceName, url: string, headers: Record<string, string> = {}, accept?: number[]): Promise<UpstreamResponse<T>> {
    const key = `${service} ${url} ${headers['x-auth-token'] ?? ''}${headers['x-api-key'] ?? ''} ${accept?.join(',') ?? ''}`;
    let pending = this.seen.get(key);
    if (!pending) this.seen.set(key, (pending = this.request(service, { url, headers, accept })));
    return pending as Promise<UpstreamResponse<T>>;
  }
}

async function dataloaderContext(
  services: Services,
  headers: Record<string, string | string[] | undefined>,
  signal: AbortSignal,
): Promise<DataloaderContext> {
  const { config } = services;
  const upstream = new RequestScopedClient(services.stack, new BatchScheduler(0), signal);
  const token = tokenFromHeaders(headers);
  let callerOrNull: Caller | null = null;
  let authError = new MosaicError('MOSAIC_ERR_NO_TOKEN');
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
  const sources = createSources(upstream, lazyCaller, config);
  return {
    get caller() {
      return caller();
    },
    sources,
    upstream,
    config,
    loaders: createDataloaders(sources, upstream, lazyCaller, config, services.metering),
  };
}

export async function buildDataloaderGateway(services: Services): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: services.config.server.bodyLimitBytes });
  const schema = makeExecutableSchema({ typeDefs: readTypeDefs(), resolvers: dataloaderResolvers as never });
  const apollo = new ApolloServer<DataloaderContext & BaseContext>({
    schema,
    introspection: true,
    includeStacktraceInErrorResponses: false,
    plugins: [fastifyApolloDrainPlugin(app), ApolloServerPluginLandingPageDisabled()],
    formatError: (formatted, error) => (isGraphQLError(error) ? formatError(error).toJSON() : formatted),
  });
  await apollo.start();
  // Apollo clones the context with Object.assign, which would run the `caller` getter (and throw for a request
  // without a token) before any field runs: an object whose prototype is the context clones to the same.
  await app.register(fastifyApollo(apollo), {
    path: '/graphql',
    method: ['GET', 'POST'],
    context: (async (request: FastifyRequest, reply: FastifyReply) =>
      Object.create(await dataloaderContext(services, request.headers, abortSignalFor(reply)))) as never,
  });
  app.get('/healthz', async () => ({ status: 'ok', runtime: 'dataloader' }));
  return app;
}
