// Subscriptions for the Apollo runtime, by Apollo's documented recipe
// (https://www.apollographql.com/docs/apollo-server/data/subscriptions): graphql-ws's useServer on a `ws`
// WebSocketServer attached to Fastify's HTTP server at /graphql (protocol graphql-transport-ws). connection_init is
// authenticated through session.ts — onConnect answering false closes the socket with 4403 Forbidden — documents are
// validated with the HTTP rules, errors formatted as over HTTP, and Fastify's close drains it first (every socket
// closed with 1001 Going Away, so app.close() does not wait on them).
import { specifiedRules, validate, type GraphQLSchema, type ValidationRule } from 'graphql';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import { formatError } from '../format-error.ts';
import { CallerBudgets, SubscriptionSession } from './session.ts';

export function attachGraphqlWs(app: FastifyInstance, services: Services, schema: GraphQLSchema, rules: readonly ValidationRule[]): void {
  const budgets = new CallerBudgets(services.config.events.maxSubscriptionsPerCaller);
  const sessions = new WeakMap<object, SubscriptionSession>();
  const wss = new WebSocketServer({ server: app.server, path: '/graphql' });
  const server = useServer(
    {
      schema,
      validate: (s, document) => validate(s, document, [...specifiedRules, ...rules]),
      onConnect: async (ctx) => {
        const session = await SubscriptionSession.open(services, ctx.connectionParams, budgets).catch(() => null);
        if (!session) return false;
        sessions.set(ctx, session);
        return true;
      },
      // A fresh object per subscription (the cost guard keys its per-operation verdict by context).
      context: (ctx) => ({ ...sessions.get(ctx)!.context }),
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors ? { ...result, errors: result.errors.map((e) => formatError(e).toJSON()) } : undefined,
      onError: (_ctx, _id, _payload, errors) => errors.map((e) => formatError(e).toJSON()),
    },
    wss,
  );
  app.addHook('preClose', async () => {
    await server.dispose();
  });
}
