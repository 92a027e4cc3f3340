// The long-lived parts of the gateway, built once at start-up and shared by every request: the HTTP stack
// (agents, retry policy, in-flight GETs), the token validator and its cache, the planner's size hints, the
// metering store and the dashboard cache. Nothing here holds caller-visible data unless it is keyed by the
// caller's tenant scope.
import type { MosaicConfig } from '../core/config.ts';
import type { FleetRecord } from '../resolvers/fleet-stats.ts';
import { TtlCache } from '../core/ttl-cache.ts';
import { KeystoneAuth, SizeHints, createHttpStack, type HttpStack, type MeteringReader } from '../datasources/index.ts';
import type { GraphServices } from '../resolvers/context.ts';

export interface Services extends GraphServices {
  stack: HttpStack;
  hints: SizeHints;
  /** Null when no MongoDB is configured: metric fields then answer MOSAIC_ERR_METRICS_OFF. */
  metering: MeteringReader | null;
  close(): Promise<void>;
}

export function createServices(config: MosaicConfig, metering: MeteringReader | null = null): Services {
  const stack = createHttpStack(config);
  return {
    config,
    stack,
    keystone: new KeystoneAuth(stack),
    hints: new SizeHints(),
    metering,
    fleetCache: new TtlCache<FleetRecord>(config.fleet.cacheTtlMs),
    async close() {
      stack.close();
      await metering?.close();
    },
  };
}
