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

/** One address of an instance, from Nova's `addresses` (its network info cache), keyed there by network name. */
export interface InstanceAddress {
  network: string;
  address: string;
  version: number;
  /** OS-EXT-IPS:type: `fixed` or `floating`; null when Nova does not say. */
  type: 'FIXED' | 'FLOATING' | null;
  /** OS-EXT-IPS-MAC:mac_addr */
  macAddress: string | null;
}

/** Nova's `fault` on a server in ERROR (or DELETED): the last failure. */
export interface InstanceFault {
  code: number;
  message: string;
  createdAt: Date | null;
}

/**
 * A Nova server. `partial` marks a record Nova returned from a down cell (microversion 2.69+): only id, status
 * UNKNOWN, project and created in a list (a show adds user, flavor, image, zone and power state); every field
 * such a record lacks is null here — never a default that would read as a real value.
 * https://docs.openstack.org/api-guide/compute/down_cells.html
 */
export interface Instance {
  id: string;
  partial: boolean;
  name: string | null;
  status: string;
  projectId: string;
  userId: string | null;
  zoneName: string | null;
  /** Nova's OS-EXT-SRV-ATTR:host (admin only): the legacy host's hostname. */
  hostname: string | null;
  /** The embedded flavor, or only its id on an older microversion; null when Nova did not say (a partial record). */
  flavor: Flavor | { id: string } | null;
  /** Null for a server booted from a volume (Nova sends image "") and when Nova did not say. */
  imageId: string | null;
  volumeIds: string[];
  /** os-extended-volumes:volumes_attached; null when Nova did not say. `deleteOnTermination` is null before 2.3. */
  attachedVolumes: { id: string; deleteOnTermination: boolean | null }[] | null;
  /** Floating addresses from Nova's `addresses` (its network info cache), used to look the IPs up in Neutron. */
  floatingAddresses: string[];
  /** Every address Nova reports, or null when its record has no `addresses` (a partial record). */
  addresses: InstanceAddress[] | null;
  keyName: string | null;
  metadata: Record<string, string> | null;
  powerState: number | null;
  taskState: string | null;
  vmState: string | null;
  locked: boolean | null;
  lockedReason: string | null;
  /** host_status (2.16+, administrators by default policy): UP, DOWN, MAINTENANCE, UNKNOWN; null when absent or "". */
  hostStatus: string | null;
  description: string | null;
  tags: string[] | null;
  securityGroups: string[] | null;
  configDrive: boolean | null;
  fault: InstanceFault | null;
  createdAt: Date;
  updatedAt: Date | null;
  launchedAt: Date | null;
  terminatedAt: Date | null;
}

export interface Image {
  id: string;
  /** Glance images need no name: null then. */
  name: string | null;
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
  /** Cinder's `encrypted` and `multiattach`; absent for legacy disks. */
  encrypted?: boolean | null;
  multiattach?: boolean | null;
  /** Cinder's attachments, all of them (only completed ones: a volume `attaching` or `reserved` has none yet); absent for legacy disks. */
  attachments?: DiskAttachment[];
  /** The attachment this disk was reached through (or its first). */
  device: string | null;
  instanceId: string | null;
  projectId: string | null;
  zoneName: string | null;
  createdAt: Date | null;
}

export interface DiskAttachment {
  instanceId: string;
  device: string | null;
  /** Cinder shows `host_name` to administrators only. */
  hostName: string | null;
  attachedAt: Date | null;
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
