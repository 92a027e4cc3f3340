// The billing subgraph in its own process for `npm run bench:federation` (forked with an IPC channel), so its CPU
// is not the load generator's: seeded from the same cloud as the cloud child (same size and seed, same ids), its
// data in the given MongoDB database. It answers the parent's IPC questions about the requests it received since
// the last reset — which operation, its `_entities` fields and representations, the caller headers — so the bench
// counts `_entities` calls where they arrive. The list is cleared on every question and kept short under load.
//
//   fork('bench/federation-billing-process.ts', [JSON.stringify({ size, mongoUri, database, secret })])
import { buildCloud } from '../subgraphs/seed/build-cloud.ts';
import type { CloudSize } from '../subgraphs/seed/types.ts';
import { startBillingSubgraph } from '../subgraphs/billing/server.ts';

export interface BillingChildOptions {
  size: CloudSize;
  mongoUri: string;
  database: string;
  secret: string;
}

/** One request billing received, as the parent needs it. */
export interface SeenRequest {
  query: string;
  variables: Record<string, unknown>;
  /** The caller as the gateway named it (re-signed by the parent to replay the call). */
  caller: { userId: string; projectId: string; roles: string[] } | null;
}

export type BillingParentMessage = { type: 'requests'; id: number };
export type BillingChildMessage =
  { type: 'ready'; url: string } | { type: 'requests'; id: number; requests: SeenRequest[] } | { type: 'error'; message: string };

const send = (m: BillingChildMessage) => process.send?.(m);

async function main() {
  const options = JSON.parse(process.argv[2] ?? '{}') as BillingChildOptions;
  const server = await startBillingSubgraph({
    mongoUri: options.mongoUri,
    database: options.database,
    secret: options.secret,
    seedFrom: buildCloud({ size: options.size }),
    // Its prices and usage from memory, re-read every 5 s: FerretDB's scans would otherwise be most of every call.
    cacheTtlMs: 5_000,
  });
  // Under load nobody asks: keep the recorded list from growing without bound (the last 200 suffice).
  const trim = setInterval(() => {
    if (server.requests.length > 200) server.requests.splice(0, server.requests.length - 200);
  }, 1000);
  process.on('message', (m: BillingParentMessage) => {
    if (m?.type !== 'requests') return;
    const requests = server.requests.map((r): SeenRequest => {
      const h = (name: string) => (typeof r.headers[name] === 'string' ? (r.headers[name] as string) : undefined);
      const userId = h('x-mosaic-user-id');
      return {
        query: r.body?.query ?? '',
        variables: r.body?.variables ?? {},
        caller: userId ? { userId, projectId: h('x-mosaic-project-id') ?? '', roles: (h('x-mosaic-roles') ?? '').split(',').filter(Boolean) } : null,
      };
    });
    server.reset();
    send({ type: 'requests', id: m.id, requests });
  });
  const shutdown = async () => {
    clearInterval(trim);
    await server.db.dropDatabase().catch(() => undefined);
    await server.close().catch(() => undefined);
    process.exit(0);
  };
  process.on('disconnect', shutdown);
  process.on('SIGTERM', shutdown);
  send({ type: 'ready', url: server.url });
}

main().catch((err: Error) => {
  send({ type: 'error', message: err.stack ?? err.message });
  process.exit(1);
});
