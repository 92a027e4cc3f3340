// Starts the gateway on a free loopback port against a running (test) cloud, for either runtime, and sends
// GraphQL over real HTTP. Dispose of it with close() in afterAll.
import type { FastifyInstance } from 'fastify';
import { validateConfig, type Runtime } from '../../core/config.ts';
import { createServices, type Services } from '../../server/services.ts';
import { buildGateway } from '../../server/app.ts';
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
): Promise<TestGateway> {
  const config = validateConfig({
    server: { port: 0, runtime },
    keystone: { url: cloud.keystoneUrl },
    legacy: { url: cloud.legacyUrl, apiKey: cloud.legacyApiKey },
    ...overrides,
  });
  const services = createServices(config, metering);
  const app = await buildGateway(services, { runtime });
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
