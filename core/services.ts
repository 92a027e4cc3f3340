// The one table of the services Mosaic talks to: their names (used in config, errors, logs and the emulators'
// counts), how they are reached, and for the OpenStack ones the catalog types they register under, in the order
// we look them up (os-service-types: https://service-types.openstack.org/service-types.json — Cinder appears as
// block-storage, volumev3, volumev2 and volume in deployed catalogs, in that alias order; an endpoint is used
// only when its version document offers an API Mosaic speaks, datasources/discovery/). Adding an upstream
// starts with a row here.

export type ServiceKind = 'http' | 'mongodb' | 'amqp' | 'graphql';

export interface ServiceSpec {
  kind: ServiceKind;
  /** Keystone catalog types, newest first; empty for services configured by URL. */
  catalogTypes: readonly string[];
  /** What the service owns in the graph, for docs and messages. */
  owns: string;
}

export const SERVICES = {
  keystone: { kind: 'http', catalogTypes: ['identity'], owns: 'tokens, the catalog, projects' },
  nova: { kind: 'http', catalogTypes: ['compute'], owns: 'instances, flavors, hypervisors' },
  cinder: { kind: 'http', catalogTypes: ['block-storage', 'volumev3', 'volumev2', 'volume'], owns: 'volumes' },
  glance: { kind: 'http', catalogTypes: ['image'], owns: 'images' },
  neutron: { kind: 'http', catalogTypes: ['network'], owns: 'ports, floating IPs' },
  placement: { kind: 'http', catalogTypes: ['placement'], owns: 'resource providers: host capacity and usage (Nova 2.88+)' },
  legacy: { kind: 'http', catalogTypes: [], owns: 'zones, hosts, storage pools, legacy disks' },
  mongodb: { kind: 'mongodb', catalogTypes: [], owns: 'metering rollups' },
} as const satisfies Record<string, ServiceSpec>;

export type ServiceName = keyof typeof SERVICES;

/** The HTTP upstreams: each has its own timeout and retry settings (`upstreams.<name>` in the config). */
export type UpstreamName = { [K in ServiceName]: (typeof SERVICES)[K]['kind'] extends 'http' ? K : never }[ServiceName];
export const UPSTREAMS = (Object.keys(SERVICES) as ServiceName[]).filter((n) => SERVICES[n].kind === 'http') as UpstreamName[];

/** The OpenStack services whose endpoints come from the caller's catalog. */
export type CatalogService = 'nova' | 'cinder' | 'glance' | 'neutron' | 'placement';
