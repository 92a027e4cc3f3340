// GraphQL subscriptions over WebSocket on /graphql, protocol graphql-transport-ws, on either runtime (README
// "Events and subscriptions"): Mercurius through its own `subscription` option (mercurius.ts, given to its
// registration in server/app.ts), Apollo through graphql-ws on the same HTTP server (graphql-ws.ts). Resolvers:
// resolvers/subscriptions.ts; sources: datasources/events/.
import type { FastifyInstance } from 'fastify';
import type { GraphQLSchema, ValidationRule } from 'graphql';
import type { Runtime } from '../../core/config.ts';
import type { Services } from '../services.ts';
import { attachGraphqlWs } from './graphql-ws.ts';
import { validateMercuriusSubscriptions } from './mercurius.ts';

export { mercuriusSubscriptionOptions } from './mercurius.ts';

/** Call after the runtime is registered. */
export function registerSubscriptions(
  app: FastifyInstance,
  services: Services,
  runtime: Runtime,
  { schema, rules }: { schema: GraphQLSchema; rules: readonly ValidationRule[] },
): void {
  if (runtime === 'mercurius') validateMercuriusSubscriptions(app, rules);
  else attachGraphqlWs(app, services, schema, rules);
}
