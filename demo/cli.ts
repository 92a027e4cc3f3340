// `mosaic demo` (npm start): the emulated cloud on free loopback ports, its metering in a local FerretDB (or
// MONGODB_URI), and the gateway on port 4000 — the composition of subgraphs/ and server/ that only a demo needs,
// kept out of both so that production start-up never loads an emulator or a metering writer.
//   mosaic demo [--size tiny|small|medium|large] [--latency MS] [--port N] [--runtime R] [--no-metrics]
import { randomBytes } from 'node:crypto';
import { fail, parseCommandLine, runCli, serverOverrides } from '../server/cli-args.ts';
import { validateConfig } from '../core/config.ts';
import { loadConfig } from '../server/load-config.ts';
import { serveGateway } from '../server/serve.ts';
import { startDemoCloud, SERVICE_NAMES } from '../subgraphs/demo-cloud.ts';
import { startDemoMetering } from './demo-metering.ts';

const SIZES = ['tiny', 'small', 'medium', 'large'] as const;

async function main() {
  const { values } = parseCommandLine(process.argv.slice(2));
  const size = (values.size ?? 'small') as (typeof SIZES)[number];
  if (!SIZES.includes(size)) fail(`mosaic: unknown --size "${size}" (${SIZES.join(', ')})`);
  const latencyMs = values.latency === undefined ? 0 : Number(values.latency);
  if (!Number.isFinite(latencyMs) || latencyMs < 0) fail('mosaic: --latency must be a number of milliseconds');
  // The emulated cloud takes free ports, so the demo never collides with services already on 5000, 8774…
  const ports = Object.fromEntries(SERVICE_NAMES.map((n) => [n, 0]));
  // The cloud publishes its notifications to RabbitMQ when one answers (README "Events and subscriptions"); else none.
  const amqpUrl = process.env.MOSAIC_AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672';
  const notifying = await startDemoCloud({ size, latencyMs, ports, notifyAmqpUrl: amqpUrl }).catch(() => null);
  const cloud = notifying ?? (await startDemoCloud({ size, latencyMs, ports }));
  const config = loadConfig(
    values.config,
    { ...process.env, MONGODB_URI: process.env.MONGODB_URI ?? '' },
    {
      ...serverOverrides(values),
      // The demo cloud's service account reads revocation events: a token revoked at Keystone stops within 5 s.
      keystone: { url: cloud.keystoneUrl, serviceUser: cloud.keystoneServiceUser, servicePassword: cloud.keystoneServicePassword },
      legacy: { url: cloud.legacyUrl, apiKey: cloud.legacyApiKey },
      ...(notifying ? { events: { amqpUrl } } : {}),
    },
  );
  const metering = values['no-metrics']
    ? null
    : await startDemoMetering({ uri: config.mongodb.uri ?? undefined, database: config.mongodb.database, cloud: cloud.cloud, log: console.log });
  // The billing subgraph (subgraphs/billing/) on the same MongoDB, in its own database, federated into the graph
  // by entity keys (README "Federated subgraphs"); without MongoDB the graph has no cost fields.
  const billingSecret = randomBytes(24).toString('hex');
  const billing = metering
    ? await cloud
        .startBilling({ mongoUri: metering.uri, database: `${config.mongodb.database}_billing`, secret: billingSecret })
        .catch((err: Error) => (console.log(`Billing is off: ${err.message}`), null))
    : null;
  const gatewayConfig = billing
    ? validateConfig({ ...config, subgraphs: [{ name: 'billing', url: billing.url, secret: billingSecret, timeoutMs: 5_000 }] })
    : config;
  const url = await serveGateway(gatewayConfig, metering?.reader ?? null, async () => {
    await metering?.stop();
    await cloud.close();
  });
  const login = await fetch(`${cloud.keystoneUrl}/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password: 'admin' } } },
        scope: { project: { name: 'admin', domain: { id: 'default' } } },
      },
    }),
  });
  const token = login.headers.get('x-subject-token');
  console.log(`Mosaic demo (${config.server.runtime}, ${size} cloud) on ${url}`);
  console.log(`GraphQL console: ${url.replace(/\/graphql$/, '/graphiql')}#token=${token}`);
  console.log(`Emulated Keystone: ${cloud.keystoneUrl}   legacy region controller: ${cloud.legacyUrl}`);
  if (notifying)
    console.log(`Events: the cloud's notifications on RabbitMQ ${amqpUrl.replace(/\/\/[^@/]*@/, '//')} (subscriptions on ws://…/graphql)`);
  console.log('Demo users: admin/admin (admin), alice/alice (project web), bob/bob (project data)');
  console.log(`Admin token (valid 1 h): ${token}`);
  console.log(`Try: curl -s ${url} -H 'content-type: application/json' -H 'x-auth-token: ${token}' -d '{"query":"{ zones { name hostCount } }"}'`);
  if (billing) console.log(`Billing subgraph: ${billing.url} (federated: Instance.cost, Project.bill, prices, invoices)`);
  if (!metering) console.log('Metrics are off (no MongoDB): set MONGODB_URI, or install Go and run scripts/install-ferretdb.sh.');
}

runCli(main);
