// The gateway's HTTP app: one Fastify instance serving the same schema, context and resolvers through either
// Mercurius (with graphql-jit) or Apollo Server (through @as-integrations/fastify), chosen by config, plus
// /healthz, /readyz and an offline GraphiQL page.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type RouteOptions } from 'fastify';
import { setMaxListeners } from 'node:events';
import type { DestinationStream } from 'pino';
// The two runtimes are imported only in the branch that uses them (buildGateway): each weighs 20-27 MB of resting
// RSS, and a gateway runs one (bench/README.md "Where the memory goes").
import type { BaseContext } from '@apollo/server';
import { GraphQLError, type ExecutionResult } from 'graphql';
import type { Services } from './services.ts';
import { callerOfRequest, createContext, type RequestContext } from './context.ts';
import { buildFederatedSchema } from './schema.ts';
import { guardCost } from './limits/cost-guard.ts';
import { overloadedStatus, requestLifecycle } from './limits/admission-http.ts';
import { withPrefetch } from './prefetch.ts';
import { formatError, hideSuggestions, isGraphQLError } from './format-error.ts';
import { queryLimitsRule } from './limits/query-limits.ts';
import { requestGuard } from './http/request-guard.ts';
import { operationCacheKey } from './http/operation-cache-key.ts';
import { rateLimitHook } from './http/rate-limit.ts';
import { graphqlOverHttp } from './http/http-protocol.ts';
import { CSRF_PREFLIGHT_HEADERS } from './http/csrf.ts';
import { clientErrorOf, handleRequestError, requestErrorBody } from './http/request-errors.ts';
import { registerGraphiql } from './graphiql.ts';
import { registerExplain } from './explain.ts';
import { readiness } from './readiness.ts';
import { loggingOptions } from './observability/logger.ts';
import { registerObservability } from './observability/register.ts';
import { mercuriusSubscriptionOptions, registerSubscriptions } from './subscriptions/register.ts';
import type { Runtime } from '../core/config.ts';

export interface GatewayOptions {
  runtime?: Runtime;
  /** Where log lines go (stdout by default; the level is observability.logLevel). Tests pass a stream to read them. */
  logStream?: DestinationStream;
  /** The OTLP/HTTP traces URL, instead of the OTEL_EXPORTER_OTLP_* variables (tests point it at their receiver). */
  tracesUrl?: string;
}

/** Aborts the request's upstream calls when the client goes away before the answer is sent. */
export function abortSignalFor(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  // Every upstream call of the request listens on this one signal (hundreds on a wide query): not a leak.
  setMaxListeners(0, controller.signal);
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  return controller.signal;
}

const contextFor = (services: Services) => (request: FastifyRequest, reply: FastifyReply) =>
  createContext(services, request.headers, abortSignalFor(reply), request.id, request, requestLifecycle(reply));

/** Mercurius wraps validation failures in one error holding the list; flatten it, then format each. */
function flattenErrors(errors: readonly GraphQLError[]): GraphQLError[] {
  return errors.flatMap((e) => {
    const inner = (e.originalError as { errors?: unknown[] } | undefined)?.errors;
    return Array.isArray(inner) ? inner.map((i) => (isGraphQLError(i) ? i : new GraphQLError(String((i as Error).message ?? i)))) : [e];
  });
}

/**
 * Mercurius's 2xx response schema types `errors[].path` items as strings, so fast-json-stringify sends list
 * indexes as "0"; the GraphQL spec wants integers (https://spec.graphql.org/October2021/#sec-Errors.Error-result-format).
 * Widen that one item type on the GraphQL routes before Fastify compiles their serializers.
 */
function integerErrorPaths(route: RouteOptions): void {
  const ok = (route.schema?.response as Record<string, any> | undefined)?.['2xx'];
  const errorItem = ok?.properties?.errors?.items;
  if (!errorItem?.properties?.path) return;
  const item = { ...errorItem, properties: { ...errorItem.properties, path: { type: 'array', items: { type: ['string', 'integer'] } } } };
  const properties = { ...ok.properties, errors: { ...ok.properties.errors, items: item } };
  route.schema = { ...route.schema, response: { ...(route.schema!.response as object), '2xx': { ...ok, properties } } };
}

/** security.introspection: `authenticated` means a token Keystone accepts (validation is cached). */
async function mayIntrospect(services: Services, request: FastifyRequest): Promise<boolean> {
  const rule = services.config.security.introspection;
  if (rule !== 'authenticated') return rule === 'everyone';
  return (await callerOfRequest(services, request.headers, request)) !== null;
}

export async function buildGateway(services: Services, options: GatewayOptions = {}): Promise<FastifyInstance> {
  const { config } = services;
  /** security.suggestions: whether this request's errors may keep graphql-js's "Did you mean …?" hints. */
  const suggest = (ctx: RequestContext | undefined) =>
    config.security.suggestions === 'everyone' || (config.security.suggestions === 'authenticated' && !!ctx?.callerOrNull);
  const runtime = options.runtime ?? config.server.runtime;
  const app = Fastify({ ...loggingOptions(config.observability.logLevel, options.logStream), bodyLimit: config.server.bodyLimitBytes });
  // First, so its hooks see every request, also those a later hook answers early (server/observability/register.ts).
  await registerObservability(app, config, { graphqlPath: '/graphql', tracesUrl: options.tracesUrl });
  // Mosaic's schema, joined at start-up with the fields of any configured GraphQL subgraphs (server/federation/).
  // The prefetch wraps first, so the cost guard's check runs before it: a refused query starts nothing (prefetch.ts).
  const schema = guardCost(withPrefetch(await buildFederatedSchema(config.subgraphs)));
  const validationRules = [queryLimitsRule(config.server)];
  app.setErrorHandler(handleRequestError);
  // A heavy request admission refused (limits/admission.ts) is sent as 503 with Retry-After, by either runtime.
  app.addHook('onSend', overloadedStatus);
  // First of all, before the body is even read: callers over their budget cost nothing more (http/rate-limit.ts).
  if (config.rateLimit.max > 0) app.addHook('onRequest', rateLimitHook(services, '/graphql'));
  // Before requestGuard and either runtime: methods, CSRF, media types and the request's shape, alike for both.
  graphqlOverHttp(app, {
    path: '/graphql',
    maxTokens: config.server.maxTokens,
    trusted: {
      mode: config.security.trustedOperations,
      apq: config.security.apq,
      store: services.documents,
      isAdmin: async (request) => (await callerOfRequest(services, request.headers, request))?.isAdmin === true,
    },
  });
  app.addHook(
    'preValidation',
    requestGuard({ path: '/graphql', maxTokens: config.server.maxTokens, mayIntrospect: (request) => mayIntrospect(services, request) }),
  );

  if (runtime === 'mercurius') {
    app.addHook('onRoute', integerErrorPaths);
    // Mercurius caches (and JIT-compiles) by the text alone; the operation picked must be part of that key.
    app.addHook('preValidation', operationCacheKey('/graphql'));
    const { default: mercurius } = await import('mercurius');
    await app.register(mercurius, {
      schema,
      path: '/graphql',
      jit: 1,
      graphiql: false,
      context: contextFor(services) as never,
      validationRules,
      subscription: mercuriusSubscriptionOptions(services), // graphql-transport-ws on /graphql (server/subscriptions/)
      errorFormatter: (execution: ExecutionResult & { errors: readonly GraphQLError[] }, ctx?: RequestContext) => {
        // Mercurius routes a body Fastify could not parse through here too: answer it as the client error it is.
        const client = execution.errors.length === 1 ? clientErrorOf(execution.errors[0].originalError) : null;
        if (client) return { statusCode: client.status, response: requestErrorBody(client.error) };
        const errors = flattenErrors(execution.errors);
        const validationOnly = !execution.data && errors.every((e) => !e.path);
        const formatted = errors.map((e) => hideSuggestions(formatError(e).toJSON(), suggest(ctx)));
        // A request that did not get to execution has no `data` entry (a GraphQL request error); http/http-protocol.ts
        // turns the 400 into 200 for a client that asked for application/json.
        return validationOnly
          ? { statusCode: 400, response: { errors: formatted } }
          : { statusCode: 200, response: { data: execution.data ?? null, errors: formatted } };
      },
    } as never);
  } else {
    const [{ ApolloServer }, { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled }, fastifyIntegration] =
      await Promise.all([import('@apollo/server'), import('@apollo/server/plugin/disabled'), import('@as-integrations/fastify')]);
    const { default: fastifyApollo, fastifyApolloDrainPlugin } = fastifyIntegration;
    const apollo = new ApolloServer<RequestContext & BaseContext>({
      schema,
      validationRules,
      introspection: true,
      includeStacktraceInErrorResponses: false,
      // http/http-protocol.ts applies the CSRF rule (http/csrf.ts) before Apollo sees a request; Apollo's own check is given
      // the same headers, so it agrees and never refuses in its own, uncoded words.
      csrfPrevention: { requestHeaders: CSRF_PREFLIGHT_HEADERS },
      stopOnTerminationSignals: false, // server/serve.ts owns SIGTERM/SIGINT (the drain); Apollo's own handler would re-raise the signal
      plugins: [
        fastifyApolloDrainPlugin(app),
        ApolloServerPluginLandingPageDisabled(),
        // No cache hints (the schema has none): without this Apollo wraps every field to compute them (bench:federation).
        ApolloServerPluginCacheControlDisabled(),
        {
          // Apollo's formatError has no context: suggestions are taken out once the caller is known.
          requestDidStart: async () => ({
            willSendResponse: async ({ response, contextValue }) => {
              if (response.body.kind !== 'single' || !response.body.singleResult.errors) return;
              const show = suggest(contextValue);
              response.body.singleResult.errors = response.body.singleResult.errors.map((e) => hideSuggestions(e, show));
            },
          }),
        },
      ],
      formatError: (formatted, error) => (isGraphQLError(error) ? formatError(error).toJSON() : formatted),
    });
    await apollo.start();
    // Apollo clones the context for each operation with Object.assign, which would run its lazy getters (caller,
    // loaders) at once and throw UNAUTHENTICATED as an HTTP 500 before even `login` could run. An empty object
    // whose prototype is the context clones to the same: the getters are inherited and stay lazy.
    const apolloContext = contextFor(services);
    await app.register(fastifyApollo(apollo), {
      path: '/graphql',
      method: ['GET', 'POST'], // as Mercurius; http/http-protocol.ts answers the other methods 405
      context: (async (request: FastifyRequest, reply: FastifyReply) => Object.create(await apolloContext(request, reply))) as never,
    });
  }

  registerSubscriptions(app, services, runtime, { schema, rules: validationRules });
  registerExplain(app, '/graphql'); // extensions.mosaic.plan for administrators who send x-mosaic-explain: 1
  app.get('/healthz', async () => ({ status: 'ok', runtime }));
  app.get('/readyz', async (_, reply) => {
    const result = await readiness(services);
    return reply.code(result.ready ? 200 : 503).send(result);
  });
  if (config.server.graphiql) registerGraphiql(app);
  return app;
}
