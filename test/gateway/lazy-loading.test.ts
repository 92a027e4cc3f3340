// What a gateway process loads: only the runtime it serves with, and the MongoDB driver, ioredis, amqplib and the
// OpenTelemetry SDK only when their setting is on (each costs 10-27 MB of resting RSS; bench/README.md "Where
// the memory goes"). Each case builds a gateway in a fresh node process and lists the packages it loaded: ESM
// ones from a resolve hook (https://nodejs.org/api/module.html#customization-hooks), CommonJS ones from
// require.cache. The upstreams and services point at a closed port: building the gateway must not need them.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = mkdtempSync(path.join(tmpdir(), 'mosaic-lazy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HOOK = `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(process.env.MOSAIC_TEST_LOADED, result.url + '\\n');
  return result;
}`;

/** The child: builds services and the app from `overrides`, answers /healthz, prints the packages it loaded. */
const CHILD = `
import { register, createRequire } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(HOOK)}));
const { validateConfig } = await import(${JSON.stringify(path.join(ROOT, 'core', 'config.ts'))});
const { createServices } = await import(${JSON.stringify(path.join(ROOT, 'server', 'services.ts'))});
const { buildGateway } = await import(${JSON.stringify(path.join(ROOT, 'server', 'app.ts'))});
const overrides = JSON.parse(process.env.MOSAIC_TEST_CONFIG);
const config = validateConfig({
  server: { port: 0, graphiql: false },
  keystone: { url: 'http://127.0.0.1:9' },
  legacy: { url: 'http://127.0.0.1:9', apiKey: 'k' },
  observability: { logLevel: 'silent' },
  ...overrides,
});
const services = createServices(config);
const app = await buildGateway(services, { tracesUrl: 'http://127.0.0.1:9/v1/traces' });
const health = await app.inject({ method: 'GET', url: '/healthz' });
const fromEsm = ${'`'}\${(await import('node:fs')).readFileSync(process.env.MOSAIC_TEST_LOADED, 'utf8')}${'`'}.split('\\n');
const fromCjs = Object.keys(createRequire(import.meta.url).cache);
const packages = new Set();
for (const f of [...fromEsm, ...fromCjs]) {
  const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(f);
  if (m) packages.add(m[1]);
}
console.log(JSON.stringify({ health: health.json(), packages: [...packages].sort() }));
process.exit(0);
`;

async function loadedBy(overrides: Record<string, unknown>): Promise<{ health: { runtime: string }; packages: string[] }> {
  const log = path.join(dir, `loaded-${Math.random().toString(36).slice(2)}.txt`);
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('MOSAIC_') && !k.startsWith('OTEL_') && k !== 'MONGODB_URI'),
  );
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD], {
    cwd: ROOT,
    env: { ...env, MOSAIC_TEST_LOADED: log, MOSAIC_TEST_CONFIG: JSON.stringify(overrides) },
    timeout: 60_000,
  });
  expect(readFileSync(log, 'utf8')).toContain('/server/app.ts');
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

const OPTIONAL = ['mongodb', 'ioredis', 'amqplib', '@opentelemetry/sdk-trace-node', '@opentelemetry/exporter-trace-otlp-http'];

describe('loading only what is configured', () => {
  it('a Mercurius gateway with nothing optional configured loads neither Apollo Server nor any optional driver', async () => {
    const { health, packages } = await loadedBy({ server: { port: 0, graphiql: false, runtime: 'mercurius' } });
    expect(health.runtime).toBe('mercurius');
    expect(packages).toContain('mercurius');
    expect(packages).toContain('fastify');
    for (const name of ['@apollo/server', '@as-integrations/fastify', ...OPTIONAL]) expect(packages).not.toContain(name);
  }, 90_000);

  it('an Apollo gateway with MongoDB, RabbitMQ and tracing configured loads those and not Mercurius', async () => {
    const { health, packages } = await loadedBy({
      server: { port: 0, graphiql: false, runtime: 'apollo' },
      mongodb: { uri: 'mongodb://127.0.0.1:9', timeoutMs: 200 },
      events: { amqpUrl: 'amqp://127.0.0.1:9' },
      observability: { logLevel: 'silent', tracing: 'on' },
    });
    expect(health.runtime).toBe('apollo');
    for (const name of ['@apollo/server', '@as-integrations/fastify', 'mongodb', '@opentelemetry/sdk-trace-node']) expect(packages).toContain(name);
    expect(packages).not.toContain('mercurius');
    expect(packages).not.toContain('ioredis'); // redis.url is not set
  }, 90_000);
});
