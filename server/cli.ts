// The `mosaic` command:
//   mosaic serve  [--config FILE] [--port N] [--runtime mercurius|apollo]   against real upstreams
//   mosaic demo   [--size S] [--latency MS] [--port N] [--runtime R]         emulated cloud + gateway (npm start)
//   mosaic schema                                                           prints the SDL
import { parseArgs } from 'node:util';
import { loadConfig, ConfigError, type MosaicConfig } from './config.ts';
import { createServices } from './services.ts';
import { buildGateway } from './app.ts';
import { readTypeDefs } from './schema.ts';
import { startMetering, type MeteringHandle } from './metering-setup.ts';

const USAGE = `usage: mosaic <serve|demo|schema> [options]
  serve   --config FILE  --port N  --host H  --runtime mercurius|apollo
  demo    --size tiny|small|medium|large  --latency MS  --port N  --runtime mercurius|apollo  --no-metrics
  schema  prints the GraphQL SDL`;

function fail(message: string, code = 2): never {
  console.error(message);
  process.exit(code);
}

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' }, runtime: { type: 'string' },
        size: { type: 'string' }, latency: { type: 'string' }, 'no-metrics': { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    fail(`mosaic: ${(err as Error).message}\n${USAGE}`);
  }
}

function serverOverrides(values: ReturnType<typeof parse>['values']) {
  const server: Record<string, unknown> = {};
  if (values.port !== undefined) {
    if (!/^\d+$/.test(values.port)) fail('mosaic: --port must be an integer');
    server.port = Number(values.port);
  }
  if (values.host) server.host = values.host;
  if (values.runtime) server.runtime = values.runtime;
  return { server };
}

async function serveGateway(config: MosaicConfig, metering: MeteringHandle | null, onClose: () => Promise<void>) {
  const services = createServices(config, metering?.reader ?? null);
  const app = await buildGateway(services, { logger: false });
  const address = await app.listen({ port: config.server.port, host: config.server.host });
  const shutdown = async () => {
    await app.close();
    await services.close();
    await onClose();
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  return `${address}/graphql`;
}

async function main() {
  const { positionals, values } = parse(process.argv.slice(2));
  const command = positionals[0];
  if (values.help || !command) {
    console.log(USAGE);
    return;
  }
  if (command === 'schema') {
    process.stdout.write(readTypeDefs());
    return;
  }
  if (command === 'serve') {
    const config = loadConfig(values.config, process.env, serverOverrides(values));
    const metering = config.mongodb.uri ? await startMetering({ uri: config.mongodb.uri, database: config.mongodb.database }) : null;
    const url = await serveGateway(config, metering, async () => metering?.stop());
    console.log(`Mosaic (${config.server.runtime}) on ${url}`);
    if (!metering) console.log('Metrics are off: set mongodb.uri in mosaic.config.yaml or MONGODB_URI to turn them on.');
    return;
  }
  if (command === 'demo') {
    const { startDemoCloud, SERVICE_NAMES } = await import('../subgraphs/demo-cloud.ts');
    const size = (values.size ?? 'small') as 'tiny' | 'small' | 'medium' | 'large';
    if (!['tiny', 'small', 'medium', 'large'].includes(size)) fail(`mosaic: unknown --size "${size}" (tiny, small, medium, large)`);
    const latencyMs = values.latency === undefined ? 0 : Number(values.latency);
    if (!Number.isFinite(latencyMs) || latencyMs < 0) fail('mosaic: --latency must be a number of milliseconds');
    // The emulated cloud takes free ports, so the demo never collides with services already on 5000, 8774…
    const cloud = await startDemoCloud({ size, latencyMs, ports: Object.fromEntries(SERVICE_NAMES.map((n) => [n, 0])) });
    const config = loadConfig(values.config, { ...process.env, MONGODB_URI: process.env.MONGODB_URI ?? '' }, {
      ...serverOverrides(values),
      keystone: { url: cloud.keystoneUrl },
      legacy: { url: cloud.legacyUrl, apiKey: cloud.legacyApiKey },
    });
    const metering = values['no-metrics'] ? null : await startMetering({ uri: config.mongodb.uri ?? undefined, database: config.mongodb.database, cloud: cloud.cloud, log: console.log, install: true });
    const url = await serveGateway(config, metering, async () => {
      await metering?.stop();
      await cloud.close();
    });
    const login = await fetch(`${cloud.keystoneUrl}/auth/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password: 'admin' } } }, scope: { project: { name: 'admin', domain: { id: 'default' } } } } }),
    });
    const token = login.headers.get('x-subject-token');
    console.log(`Mosaic demo (${config.server.runtime}, ${size} cloud) on ${url}`);
    console.log(`GraphQL console: ${url.replace(/\/graphql$/, '/graphiql')}#token=${token}`);
    console.log(`Emulated Keystone: ${cloud.keystoneUrl}   legacy region controller: ${cloud.legacyUrl}`);
    console.log('Demo users: admin/admin (admin), alice/alice (project web), bob/bob (project data)');
    console.log(`Admin token (valid 1 h): ${token}`);
    console.log(`Try: curl -s ${url} -H 'content-type: application/json' -H 'x-auth-token: ${token}' -d '{"query":"{ zones { name hostCount } }"}'`);
    if (!metering) console.log('Metrics are off (no MongoDB): set MONGODB_URI, or install Go and run scripts/install-ferretdb.sh.');
    return;
  }
  fail(`mosaic: unknown command "${command}"\n${USAGE}`);
}

main().catch((err) => {
  if (err instanceof ConfigError) fail(err.message, 2);
  console.error(err);
  process.exit(1);
});
