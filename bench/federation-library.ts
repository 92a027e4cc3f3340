// The library baseline of `npm run bench:federation` (variant `federation-library`; issue #11: "prefer a kept
// library for delegation and measure its cost"). Bench only, never the product: a gateway built the way the
// libraries intend — Mosaic itself served as one Apollo Federation v2 subgraph (`@apollo/subgraph`'s
// buildSubgraphSchema over Mosaic's own SDL, keyed as server/federation/compose.ts keys it, and Mosaic's own
// resolvers, with `__resolveReference` for Instance, Project and Disk through Query.node, so tenancy holds), billing
// the other, the two composed by `@theguild/federation-composition`'s composeServices into a supergraph, and that
// served by `@graphql-tools/federation`'s getStitchedSchemaFromSupergraphSdl (query planning and delegation by
// stitching, batched `_entities` by its DataLoaders), executed by graphql-js on a plain Fastify route. Mosaic's subgraph runs in this process
// behind an in-process executor (no HTTP hop: the figures are the library's planning and delegation, not a
// loopback round trip); every delegated operation of one client request shares one Mosaic context, so Mosaic's
// loaders batch across them as within one request. Billing is called over HTTP with the gateway's secret and the
// caller's signed identity (server/federation/caller-identity.ts), as Mosaic's own federation calls it.
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { execute, parse, validate, type DocumentNode, type GraphQLError, type GraphQLFieldResolver } from 'graphql';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { composeServices } from '@theguild/federation-composition';
import { getStitchedSchemaFromSupergraphSdl } from '@graphql-tools/federation';
import { buildHTTPExecutor } from '@graphql-tools/executor-http';
import type { ExecutionRequest } from '@graphql-tools/utils';
import { readTypeDefs } from '../server/schema.ts';
import { withPrefetch } from '../server/prefetch.ts';
import { abortSignalFor } from '../server/app.ts';
import { callerOfRequest, createContext, type RequestContext } from '../server/context.ts';
import { MOSAIC_ENTITY_KEYS, MOSAIC_SUBGRAPH, fetchSubgraphSdl, mosaicSubgraphSdl } from '../server/federation/compose.ts';
import { identityHeaders } from '../server/federation/caller-identity.ts';
import { resolvers } from '../resolvers/index.ts';
import { toGlobalId, type NodeType } from '../resolvers/global-id.ts';
import type { Services } from '../server/services.ts';
import type { Caller } from '../core/caller.ts';

/** What the stitched gateway keeps per client request: its headers, and Mosaic's context once made. */
interface LibraryContext {
  headers: Record<string, string | string[] | undefined>;
  signal: AbortSignal;
  request: FastifyRequest;
  mosaic?: Promise<RequestContext>;
  caller?: Promise<Caller | null>;
  /** The secret and the signed caller for billing (one subgraph besides Mosaic in this bench). */
  subgraphHeaders?: Record<string, string>;
}

/** Mosaic as a federation subgraph: its SDL keyed, its resolvers, entities resolved as `node(id:)` would. */
function mosaicSubgraphSchema() {
  const node = (resolvers as { Query: { node: GraphQLFieldResolver<unknown, RequestContext> } }).Query.node;
  const entityResolvers: Record<string, { __resolveReference: unknown }> = {};
  for (const [type, key] of Object.entries(MOSAIC_ENTITY_KEYS)) {
    entityResolvers[type] = {
      __resolveReference: (ref: Record<string, string>, ctx: RequestContext, info: never) =>
        node(null, { id: toGlobalId(type as NodeType, ref[key]) }, ctx, info),
    };
  }
  const merged: Record<string, unknown> = { ...(resolvers as Record<string, unknown>) };
  for (const [type, extra] of Object.entries(entityResolvers)) merged[type] = { ...(merged[type] as object), ...extra };
  return withPrefetch(buildSubgraphSchema({ typeDefs: mosaicSubgraphSdl(readTypeDefs()), resolvers: merged as never }));
}

export async function buildLibraryGateway(services: Services): Promise<FastifyInstance> {
  const { config } = services;
  const mosaicSchema = mosaicSubgraphSchema();
  const subgraphs = await Promise.all(config.subgraphs.map(async (s) => ({ config: s, sdl: await fetchSubgraphSdl(s) })));
  const composed = composeServices([
    { name: MOSAIC_SUBGRAPH, typeDefs: mosaicSubgraphSdl(readTypeDefs()), url: 'in-process://mosaic' },
    ...subgraphs.map((s) => ({ name: s.config.name, typeDefs: parse(s.sdl), url: s.config.url })),
  ]);
  if (composed.errors?.length) throw new Error(`composition failed: ${composed.errors.map((e) => e.message).join('; ')}`);
  const byName = new Map(subgraphs.map((s) => [s.config.name.toUpperCase(), s.config]));

  // Mosaic's subgraph: one Mosaic context per client request, shared by every operation delegated to it.
  const mosaicExecutor = async (request: ExecutionRequest) => {
    const gw = request.context as LibraryContext;
    gw.mosaic ??= createContext(services, gw.headers, gw.signal, gw.request.id, gw.request);
    return execute({
      schema: mosaicSchema,
      document: request.document,
      variableValues: request.variables,
      operationName: request.operationName,
      contextValue: await gw.mosaic,
    }) as never;
  };

  const schema = getStitchedSchemaFromSupergraphSdl({
    supergraphSdl: composed.supergraphSdl!,
    batch: true,
    onSubschemaConfig(subschema) {
      if (subschema.name.toUpperCase() === MOSAIC_SUBGRAPH.toUpperCase()) {
        subschema.executor = mosaicExecutor as never;
        return;
      }
      const sub = byName.get(subschema.name.toUpperCase());
      if (!sub) return;
      // The gateway's secret and the caller, signed, as Mosaic's own subgraph client sends them; never the token.
      const http = buildHTTPExecutor({
        endpoint: sub.url,
        timeout: sub.timeoutMs,
        headers: (request) => (request?.context as LibraryContext).subgraphHeaders!,
      });
      subschema.executor = (async (request: ExecutionRequest) => {
        const gw = request.context as LibraryContext;
        gw.caller ??= callerOfRequest(services, gw.headers, gw.request);
        gw.subgraphHeaders ??= identityHeaders(sub.secret, await gw.caller);
        return http(request);
      }) as never;
    },
  });

  // graphql-js on a plain route rather than Mercurius: @graphql-tools/batch-delegate keys its DataLoaders by
  // `info.rootValue || context`, and Mercurius passes one rootValue object to every request, so its loaders (and
  // their caches) would be shared by all requests and callers: answers from another caller's query.
  const documents = new Map<string, DocumentNode | readonly GraphQLError[]>();
  const app = Fastify({ logger: false, bodyLimit: config.server.bodyLimitBytes });
  app.post('/graphql', async (request, reply) => {
    const { query, variables, operationName } = (request.body ?? {}) as {
      query?: string;
      variables?: Record<string, unknown>;
      operationName?: string;
    };
    if (typeof query !== 'string') return reply.code(400).send({ errors: [{ message: 'query is required' }] });
    let document = documents.get(query);
    if (!document) {
      try {
        const parsed = parse(query);
        const errors = validate(schema, parsed);
        document = errors.length ? errors : parsed;
      } catch (err) {
        document = [err as GraphQLError];
      }
      if (documents.size < 1000) documents.set(query, document);
    }
    if (Array.isArray(document)) return reply.code(400).send({ errors: document.map((e) => ({ message: e.message })) });
    const contextValue: LibraryContext = { headers: request.headers, signal: abortSignalFor(reply), request };
    const result = await execute({ schema, document: document as DocumentNode, variableValues: variables, operationName, contextValue });
    return reply.send(result);
  });
  return app;
}
