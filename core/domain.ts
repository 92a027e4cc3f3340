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

/** One resource of a host (vCPUs, MB of RAM, GB of disk), as Nova's os-hypervisors (before 2.88) or Placement reports it. */
export interface HostResourceUsage {
  /** The physical amount: Nova's vcpus / memory_mb / local_gb, Placement's inventory `total`. */
  total: number;
  /** Placement's `reserved` (null from Nova, whose `used` already counts what it reserves for the host). */
  reserved: number | null;
  /** Placement's `allocation_ratio` (null from Nova). */
  allocationRatio: number | null;
  /** What the scheduler may place: Placement's (total − reserved) × allocation_ratio, floored; Nova's total. */
  schedulable: number;
  /** Allocated: Nova's *_used, Placement's usages. */
  used: number;
  /** schedulable − used (negative when a host is overcommitted beyond it). */
  free: number;
}

export type HostUsageSource = 'NOVA' | 'PLACEMENT';

export interface HostUsage {
  source: HostUsageSource;
  vcpus: HostResourceUsage;
  memoryMb: HostResourceUsage;
  diskGb: HostResourceUsage;
}

/** A Nova hypervisor, as far as Mosaic reads it. */
export interface Hypervisor {
  /** An integer before microversion 2.53, the compute node's UUID (= its Placement resource provider) from 2.53. */
  id: string;
  /** The nova-compute service's host (`service.host`): what servers' OS-EXT-SRV-ATTR:host and the region controller name. */
  host: string;
  hypervisorHostname: string;
  /** Capacity and usage from os-hypervisors itself: present before 2.88, null from 2.88 (Placement has them). */
  usage: HostUsage | null;
}

/** A Nova host aggregate (os-aggregates). */
export interface HostAggregate {
  id: number;
  uuid: string | null;
  name: string;
  availabilityZone: string | null;
  hosts: string[];
  metadata: Record<string, string>;
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
  /** The port's security group ids (Neutron's `security_groups`); absent when the upstream did not say. */
  securityGroupIds?: string[];
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

/** A Neutron network (https://docs.openstack.org/api-ref/network/v2/#networks). */
export interface Network {
  id: string;
  name: string;
  status: string;
  shared: boolean;
  /** `router:external`. */
  external: boolean;
  /** Null when Neutron does not say (the net-mtu extension is off). */
  mtu: number | null;
  subnetIds: string[];
  projectId: string;
  createdAt: Date | null;
}

/** A Neutron subnet (https://docs.openstack.org/api-ref/network/v2/#subnets). */
export interface Subnet {
  id: string;
  name: string;
  networkId: string;
  projectId: string;
  cidr: string;
  ipVersion: number;
  gatewayIp: string | null;
  enableDhcp: boolean;
  allocationPools: { start: string; end: string }[];
  dnsNameservers: string[];
}

export interface SecurityGroupRule {
  id: string;
  direction: string;
  etherType: string;
  protocol: string | null;
  portRangeMin: number | null;
  portRangeMax: number | null;
  remoteIpPrefix: string | null;
  remoteGroupId: string | null;
}

/** A Neutron security group with its rules (https://docs.openstack.org/api-ref/network/v2/#security-groups-security-groups). */
export interface SecurityGroup {
  id: string;
  name: string;
  description: string;
  projectId: string;
  rules: SecurityGroupRule[];
}

/** A Cinder volume type; `extraSpecs` undefined when Cinder withheld them (non-admins by default policy). */
export interface VolumeType {
  id: string;
  name: string;
  description: string | null;
  isPublic: boolean;
  extraSpecs: Record<string, string> | null;
}

/** One quota: the limit (-1: unlimited), what is in use and what is reserved. */
export interface QuotaUsage {
  limit: number;
  inUse: number;
  reserved: number;
}

/** One service's quotas for a project, keyed by the upstream's own resource names (cores, ram, floatingip…). */
export type QuotaSet = Record<string, QuotaUsage>;

/** `Project.quotas`: which project's quotas the per-service parts load. */
export interface ProjectQuotasRecord {
  projectId: string;
}
