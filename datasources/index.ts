// What other folders use of datasources/: createSources() builds a request's upstream calls (one source per
// upstream, the caller's token forwarded, endpoints from its catalog), and createLoaders() the request's batching
// loaders over them, one module per upstream (nova/loaders.ts, cinder/loaders.ts, …) sharing one RequestState.
// Both are per request; the bench's naive gateway uses createSources() too. Long-lived parts (the HTTP stack,
// the token validator, the size hints, the metering store) are exported for server/services.ts.
import type { Caller } from '../core/caller.ts';
import type { MosaicConfig } from '../core/config.ts';
import type { UpstreamClient } from './http/client.ts';
import type { BatchScheduler } from './planner/scheduler.ts';
import type { SizeHints } from './planner/size-hints.ts';
import { RequestState } from './planner/request-state.ts';
import { KeystoneSource } from './keystone/source.ts';
import { keystoneLoaders } from './keystone/loaders.ts';
import { projectById } from './keystone/project-by-id.ts';
import { NovaSource } from './nova/source.ts';
import { novaLoaders } from './nova/loaders.ts';
import { CinderSource } from './cinder/source.ts';
import { cinderLoaders } from './cinder/loaders.ts';
import { GlanceSource } from './glance/source.ts';
import { glanceLoaders } from './glance/loaders.ts';
import { NeutronSource } from './neutron/source.ts';
import { neutronLoaders } from './neutron/loaders.ts';
import { quotaLoaders } from './quotas/loaders.ts';
import { PlacementSource } from './placement/source.ts';
import { placementLoaders } from './placement/loaders.ts';
import { RegionControllerSource } from './legacy/source.ts';
import { legacyLoaders } from './legacy/loaders.ts';

export { createHttpStack, UpstreamClient, type HttpStack, type UpstreamResponse } from './http/client.ts';
export { BatchScheduler } from './planner/scheduler.ts';
export { SizeHints } from './planner/size-hints.ts';
export { KeystoneAuth } from './keystone/auth.ts';
export { createMeteringStore } from './metering/store.ts';
export type { MeteringReader } from './metering/reader.ts';
export { createMetricLoaders, type MetricLoaders } from './metering/loaders.ts';
export type { VolumeRecord } from './cinder/map.ts';
export type { StoragePool } from './legacy/map.ts';
export { Operations } from './operations/operations.ts';

export interface Sources {
  keystone: KeystoneSource;
  nova: NovaSource;
  cinder: CinderSource;
  glance: GlanceSource;
  neutron: NeutronSource;
  legacy: RegionControllerSource;
  placement: PlacementSource;
}

/**
 * A request's sources. OpenStack endpoints are resolved from the caller's catalog on first use, so a missing
 * catalog entry fails only the fields that need that service.
 */
export function createSources(upstream: UpstreamClient, caller: Caller, config: MosaicConfig): Sources {
  // OpenStack endpoints come from the caller's catalog and each root's version document, on first use
  // (openstack-source.ts api()), so a missing service fails only the fields that need it.
  return {
    keystone: new KeystoneSource(upstream, caller, config.keystone.url),
    nova: new NovaSource(upstream, caller),
    cinder: new CinderSource(upstream, caller),
    glance: new GlanceSource(upstream, caller),
    neutron: new NeutronSource(upstream, caller),
    legacy: new RegionControllerSource(upstream, config.legacy.url, config.legacy.apiKey),
    placement: new PlacementSource(upstream, caller),
  };
}

export interface LoaderDeps {
  caller: Caller;
  config: MosaicConfig;
  scheduler: BatchScheduler;
  hints: SizeHints;
  /** The request's HTTP client: learned upstream timings for the planner, explain, Keystone projects by id, the request's key for batch messages. */
  upstream?: UpstreamClient;
}

/** A request's loaders: every upstream's, over one planning state. */
export function createLoaders(sources: Sources, { caller, config, scheduler, hints, upstream }: LoaderDeps) {
  const state = new RequestState(caller, hints, scheduler, config.batching, upstream);
  const nova = novaLoaders(sources.nova, state);
  return {
    ...keystoneLoaders(sources.keystone, state, upstream && projectById(upstream, caller, config.keystone.url)),
    ...nova,
    ...placementLoaders(sources.placement, state, nova.hypervisors),
    ...cinderLoaders(sources.cinder, state),
    ...glanceLoaders(sources.glance, state),
    ...neutronLoaders(sources.neutron, state),
    ...quotaLoaders(sources, state),
    ...legacyLoaders(sources.legacy, state),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
