// Starts the gateway on a free loopback port against a running (test) cloud, for either runtime, and sends
// GraphQL over real HTTP. Dispose of it with close() in afterAll.
import type { FastifyInstance } from 'fastify';
import { validateConfig, type Runtime } from '../../core/config.ts';
import { createServices, type Services } from '../../server/services.ts';
import { buildGateway, type GatewayOptions } from '../../server/app.ts';
import { createStore } from '../../datasources/shared-state/create-store.ts';
import type { DemoCloud } from './cloud.ts';
import type { MeteringReader } from '../../datasources/metering/reader.ts';

export interface TestGateway {
  url: string;
  app: FastifyInstance;
  services: Services;
  query<T = any>(query: string, variables?: Record<string, unknown>, token?: string): Promise<{ status: number; body: { data?: T; errors?: any[] } }>;
  close(): Promise<void>;
}

export const RUNTIMES: Runtime[] = ['mercurius', 'apollo'];

export async function startTestGateway(
  cloud: DemoCloud,
  runtime: Runtime,
  overrides: Record<string, unknown> = {},
  metering: MeteringReader | null = null,
  /** `logStream` to read the log, `tracesUrl` for a test's OTLP receiver. */
  gatewayOptions: Omit<GatewayOptions, 'runtime'> = {},
): Promise<TestGateway> {
  // The cloud's service account reads revocation events, as in production; `keystone` overrides merge over it.
  const keystone = { url: cloud.keystoneUrl, serviceUser: cloud.keystoneServiceUser, servicePassword: cloud.keystoneServicePassword };
  const config = validateConfig({
    server: { port: 0, runtime },
    legacy: { url: cloud.legacyUrl, apiKey: cloud.legacyApiKey },
    ...overrides,
    keystone: { ...keystone, ...(overrides.keystone as Record<string, unknown> | undefined) },
    // Quiet test output: no log lines unless a test asks for a level.
    observability: { logLevel: 'silent', ...(overrides.observability as Record<string, unknown> | undefined) },
  });
  const services = createServices(config, metering, await createStore(config.redis));
  const app = await buildGateway(services, { ...gatewayOptions, runtime });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `${address}/graphql`;
  return {
    url,
    app,
    services,
    async query(query, variables, token) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { 'x-auth-token': token } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      return { status: res.status, body: (await res.json()) as any };
    },
    async close() {
      await app.close();
      await services.close();
    },
  };
}
