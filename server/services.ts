// The long-lived parts of the gateway, built once at start-up and shared by every request: the HTTP stack
// (agents, retry policy), the token validator and its cache, the batching size hints, the metering store and
// the dashboard cache. Nothing here holds caller-visible data unless it is keyed by the caller.
import type { MosaicConfig } from './config.ts';
import { createHttpStack, type HttpStack } from '../datasources/http.ts';
import { KeystoneAuth } from '../datasources/keystone.ts';
import { SizeHints } from '../datasources/batch-strategy.ts';
import type { MeteringReader } from '../datasources/metering-reader.ts';
import { TtlCache } from './ttl-cache.ts';
import type { FleetRecord } from '../datasources/domain.ts';

export interface Services {
  config: MosaicConfig;
  stack: HttpStack;
  keystone: KeystoneAuth;
  hints: SizeHints;
  /** Null when no MongoDB is configured: metric fields then answer MOSAIC_ERR_METRICS_OFF. */
  metering: MeteringReader | null;
  /** Dashboard results per caller token, for fleet.cacheTtlMs. */
  fleetCache: TtlCache<FleetRecord>;
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
