// Starts the gateway process: services, the HTTP app on the configured host and port, and a graceful stop on
// SIGINT/SIGTERM. The drain, in order: /readyz answers 503 at once (server/readiness.ts); the listener closes,
// so new connections are refused and a new request on a kept-alive connection gets Fastify's 503
// (return503OnClosing, https://fastify.dev/docs/latest/Reference/Server/#return503onclosing); requests in flight
// finish; then the long-lived parts (HTTP agents, MongoDB, Redis) close and the process exits 0. If that takes
// longer than `server.drainMs` the process exits 1; a second signal exits 1 at once. Under Kubernetes the pod's
// preStop sleep has already taken it out of the Service's endpoints when SIGTERM arrives, so the listener can
// close immediately (deploy/k8s/deployment.yaml).
import type { ServerResponse } from 'node:http';
import type { MosaicConfig } from '../core/config.ts';
import type { MeteringReader } from '../datasources/index.ts';
import { createServices } from './services.ts';
import { buildGateway } from './app.ts';
import { markDraining } from './readiness.ts';
import { createStore } from '../datasources/shared-state/create-store.ts';

/** Listens and returns the GraphQL URL; `onClose` runs after the gateway has stopped. */
export async function serveGateway(config: MosaicConfig, metering: MeteringReader | null, onClose: () => Promise<void>): Promise<string> {
  const services = createServices(config, metering, await createStore(config.redis));
  const app = await buildGateway(services);
  const address = await app.listen({ port: config.server.port, host: config.server.host });
  let stopping: string | null = null;
  // Node's server.close() ends only the connections idle at that moment; one whose request is in flight turns idle
  // once its answer is sent and would then be kept alive (Fastify's keepAliveTimeout is 72 s), holding close() up.
  app.server.on('request', (_req, res: ServerResponse) =>
    res.once('finish', () => {
      if (stopping) setImmediate(() => app.server.closeIdleConnections());
    }),
  );
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      console.error(`Mosaic: ${signal} while ${stopping}: exiting now`);
      process.exit(1);
    }
    stopping = 'draining requests';
    markDraining(services);
    console.log(`Mosaic: ${signal}: draining (at most ${config.server.drainMs} ms)`);
    const deadline = setTimeout(() => {
      console.error(`Mosaic: still ${stopping} after server.drainMs (${config.server.drainMs} ms): exiting`);
      process.exit(1);
    }, config.server.drainMs);
    const drain = async () => {
      await app.close();
      stopping = 'closing services';
      await services.close();
      await onClose();
    };
    drain().then(
      () => {
        clearTimeout(deadline);
        console.log('Mosaic: stopped');
        process.exit(0);
      },
      (err) => {
        console.error(`Mosaic: error while ${stopping}:`, err);
        process.exit(1);
      },
    );
  };
  // `on`, not `once`: a second signal must reach `stop` to cut the drain short, not Node's default handler.
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return `${address}/graphql`;
}
