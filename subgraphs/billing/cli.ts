// Runs the billing subgraph alone, in the foreground until SIGINT/SIGTERM:
//   tsx subgraphs/billing/cli.ts --secret S [--mongo URI] [--database mosaic_billing] [--port 4001] [--seed-size small] [--cache-ms 5000]
// MONGODB_URI and MOSAIC_BILLING_SECRET are read when the flags are absent. `--seed-size` (re)seeds the price
// list and usage from the emulated cloud of that size (the same seed as `npm run cloud`, so the ids match).
// Point the gateway at it with `subgraphs: [{ name: billing, url: http://127.0.0.1:4001/graphql, secret: S }]`.
import { parseArgs } from 'node:util';
import { buildCloud } from '../seed/build-cloud.ts';
import type { CloudSize } from '../seed/types.ts';
import { startBillingSubgraph } from './server.ts';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      secret: { type: 'string' },
      mongo: { type: 'string' },
      database: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      'seed-size': { type: 'string' },
      'cache-ms': { type: 'string' },
    },
  });
  const secret = values.secret ?? process.env.MOSAIC_BILLING_SECRET;
  const mongoUri = values.mongo ?? process.env.MONGODB_URI;
  if (!secret || !mongoUri) {
    console.error('billing: --secret (or MOSAIC_BILLING_SECRET) and --mongo (or MONGODB_URI) are required');
    process.exit(2);
  }
  const size = values['seed-size'] as CloudSize | undefined;
  const server = await startBillingSubgraph({
    mongoUri,
    database: values.database ?? 'mosaic_billing',
    secret,
    port: Number(values.port ?? 4001),
    host: values.host ?? '127.0.0.1',
    seedFrom: size ? buildCloud({ size }) : undefined,
    cacheTtlMs: Number(values['cache-ms'] ?? 0),
  });
  console.log(`Billing subgraph: ${server.url}`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: Error) => {
  console.error(`billing: ${err.message}`);
  process.exit(1);
});
