// The domain objects datasources return and resolvers read, named like the types in schema/*.graphql: upstream
// quirks (envelopes, snake_case, local timestamps, string booleans, microversion-dependent shapes) are gone by
// the time data has this shape.
import type { Caller } from './caller.ts';

export type HostStatus = 'OFFLINE' | 'ONLINE' | 'MAINTENANCE';
export type DiskBackend = 'CINDER' | 'LEGACY';

export interface Zone {
  id: number;
  name: string;
  region: string;
  description: string;
  hostCount: number;
  createdAt: Date;
}

export interface Host {
  id: number;
  zoneId: number;
  hostname: string;
  ip: string;
  rack: string;
  status: HostStatus;
  capacity: { vcpus: number; memoryMb: number; diskGb: number };
  createdAt: Date;
}

export interface Flavor {
  /** Null when Nova embedded the flavor (microversion 2.47+), which carries no id. */
  id: string | null;
  name: string;
  vcpus: number;
  ramMb: number;
  diskGb: number;
  ephemeralGb: number;
  swapMb: number;
  extraSpecs: Record<string, string>;
}

export interface Instance {
  id: string;
  name: string;
  status: string;
  projectId: string;
  userId: string;
  zoneName: string | null;
  /** Nova's OS-EXT-SRV-ATTR:host (admin only): the legacy host's hostname. */
  hostname: string | null;
  /** The embedded flavor, or only its id on an older microversion. */
  flavor: Flavor | { id: string };
  /** Null for a server booted from a volume (Nova sends image ""). */
  imageId: string | null;
  volumeIds: string[];
  /** Floating addresses from Nova's `addresses` (its network info cache), used to look the IPs up in Neutron. */
  floatingAddresses: string[];
  keyName: string | null;
  metadata: Record<string, string>;
  powerState: number | null;
  taskState: string | null;
  createdAt: Date;
  updatedAt: Date | null;
  launchedAt: Date | null;
}

export interface Image {
  id: string;
  name: string;
  status: string;
  visibility: string;
  hidden: boolean;
  ownerId: string;
  sizeBytes: number | null;
  diskFormat: string | null;
  containerFormat: string | null;
  minDiskGb: number;
  minRamMb: number;
  tags: string[];
  createdAt: Date;
  updatedAt: Date | null;
}

export interface Disk {
  backend: DiskBackend;
  /** Cinder volume UUID, or the legacy disk's integer id as a string. */
  id: string;
  name: string | null;
  sizeGb: number;
  status: string;
  volumeType: string | null;
  bootable: boolean;
  device: string | null;
  instanceId: string | null;
  projectId: string | null;
  zoneName: string | null;
  createdAt: Date | null;
}

export interface Port {
  id: string;
  name: string;
  networkId: string;
  projectId: string;
  deviceId: string;
  deviceOwner: string;
  macAddress: string;
  fixedIps: { ipAddress: string; subnetId: string }[];
  status: string;
  createdAt: Date | null;
}

export interface FloatingIp {
  id: string;
  address: string;
  fixedIpAddress: string | null;
  portId: string | null;
  /** The instance behind the port, from `port_details` (Neutron Rocky+); undefined when Neutron does not say. */
  deviceId?: string | null;
  projectId: string;
  status: string;
  floatingNetworkId: string;
  createdAt: Date | null;
}

export interface Project {
  id: string;
  name: string;
  description: string;
  domainId: string;
  enabled: boolean;
}

export interface RegionRecord {
  name: string;
}

/** What `login` returns: the new token and who it speaks for. */
export interface LoginRecord {
  token: string;
  expiresAt: Date;
  viewer: Caller;
}

/** Aggregates of one resource's metering over a window (see schema/metrics.graphql). */
export interface ResourceMetricsRecord {
  lastMinutes: number;
  minutesWithData: number;
  cpuUtilAvg: number | null;
  cpuUtilMax: number | null;
  memUsedMbAvg: number | null;
  memUsedMbMax: number | null;
  netRxBytes: number | null;
  netTxBytes: number | null;
  diskReadIops: number | null;
  diskWriteIops: number | null;
}
