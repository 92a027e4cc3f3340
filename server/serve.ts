// Starts the gateway process: services, the HTTP app on the configured host and port, and a graceful stop on
// SIGINT/SIGTERM (in-flight requests finish, then the long-lived parts close).
import type { MosaicConfig } from '../core/config.ts';
import type { MeteringReader } from '../datasources/index.ts';
import { createServices } from './services.ts';
import { buildGateway } from './app.ts';

/** Listens and returns the GraphQL URL; `onClose` runs after the gateway has stopped. */
export async function serveGateway(config: MosaicConfig, metering: MeteringReader | null, onClose: () => Promise<void>): Promise<string> {
  const services = createServices(config, metering);
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
