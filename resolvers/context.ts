// The context every resolver receives, as resolvers see it (server/context.ts builds it per request). Declared
// here, beside its readers, so resolvers and the generated types depend on nothing in server/.
import type { Caller } from '../core/caller.ts';
import type { MosaicConfig } from '../core/config.ts';
import type { MosaicError } from '../core/errors.ts';
import type { TtlCache } from '../core/ttl-cache.ts';
import type { FleetRecord } from './fleet-stats.ts';
import type { DocumentStore } from '../datasources/persisted/document-store.ts';
import type { Operations } from '../datasources/operations/operations.ts';
import type { EventHub } from '../datasources/events/index.ts';
import type { KeystoneAuth, Loaders, MetricLoaders, UpstreamClient } from '../datasources/index.ts';

/** The long-lived parts resolvers use: config, the token validator (for login) and the dashboard cache. */
export interface GraphServices {
  config: MosaicConfig;
  keystone: KeystoneAuth;
  /** Dashboard results per tenant scope, for fleet.cacheTtlMs. */
  fleetCache: TtlCache<FleetRecord>;
  /** Persisted operations (trusted documents), for `registerOperation`. */
  documents: DocumentStore;
  /** Mutations as tracked operations (datasources/operations/); null without MongoDB (MOSAIC_ERR_WRITES_OFF). */
  operations: Operations | null;
  /** The cloud's notifications as domain events (datasources/events/), for subscriptions. */
  events: EventHub;
}

export interface GraphContext {
  requestId: string;
  services: GraphServices;
  upstream: UpstreamClient;
  /** The caller, or null when the request carried no (valid) token. */
  callerOrNull: Caller | null;
  /** Why there is no caller, raised by `caller` and `loaders`. */
  authError: MosaicError | null;
  /** The caller; throws UNAUTHENTICATED when there is none. */
  readonly caller: Caller;
  readonly loaders: Loaders;
  readonly metrics: MetricLoaders;
}
