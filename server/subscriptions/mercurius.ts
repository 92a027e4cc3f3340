// Mercurius's `subscription` option (https://mercurius.dev/#/docs/subscriptions): graphql-transport-ws over the
// @fastify/websocket route on /graphql. connection_init is authenticated in onConnect (session.ts); a connection
// without a valid token is closed with 4403 Forbidden, as the graphql-ws protocol asks
// (https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md#connectioninit) — Mercurius alone would send a
// `connection_error` message, which is not part of that protocol. Documents are validated like HTTP ones
// (server/app.ts's rules), before execution.
import { specifiedRules, validate, type DocumentNode, type GraphQLSchema, type ValidationRule } from 'graphql';
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import { CallerBudgets, SubscriptionSession } from './session.ts';

export function mercuriusSubscriptionOptions(services: Services) {
  const budgets = new CallerBudgets(services.config.events.maxSubscriptionsPerCaller);
  return {
    // Mercurius calls onConnect as a method of its SubscriptionConnection: `this.socket` is the WebSocket.
    onConnect: async function (this: { socket?: { close(code: number, reason: string): void } } | undefined, data: { payload?: unknown }) {
      const session = await SubscriptionSession.open(services, data.payload, budgets).catch(() => null);
      if (session) return { ...session.context };
      this?.socket?.close(4403, 'Forbidden');
      return false;
    },
    keepAlive: 30_000,
  };
}

/** Validates each subscription document with the HTTP rules (Mercurius does not validate WebSocket documents). */
export function validateMercuriusSubscriptions(app: FastifyInstance, rules: readonly ValidationRule[]): void {
  const graphql = (app as unknown as { graphql: { addHook(name: string, fn: (...args: never[]) => Promise<void>): void } }).graphql;
  graphql.addHook('preSubscriptionExecution', async (schema: GraphQLSchema, document: DocumentNode) => {
    const errors = validate(schema, document, [...specifiedRules, ...rules]);
    if (errors.length > 0) throw errors[0];
  });
}
