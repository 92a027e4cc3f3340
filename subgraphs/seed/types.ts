// The in-memory model of the emulated cloud. Every emulator reads and writes this one object, so a write
// through one service (a Nova attach) is visible in the others (the Cinder volume's attachments) at once,
// as it is in a real cloud once its services have synced. Field names here are ours; each emulator maps them
// to its upstream's own JSON spelling.

export type CloudSize = 'tiny' | 'small' | 'medium' | 'large';

export interface Project {
  id: string;
  name: string;
  domainId: string;
  description: string;
}
export interface Role {
  id: string;
  /** `service`: what OpenStack gives the services' own accounts (Nova's, Mosaic's) in the `service` project. */
  name: 'admin' | 'member' | 'reader' | 'service';
}
export interface User {
  id: string;
  name: string;
  password: string;
  projectId: string;
  roleNames: Role['name'][];
}

export interface Zone {
  id: number;
  name: string;
  region: string;
  description: string;
  createdAt: Date;
}
/** Legacy host status: 0 offline, 1 online, 2 maintenance. */
export type HostStatus = 0 | 1 | 2;
export interface Host {
  id: number;
  zoneId: number;
  hostname: string;
  ip: string;
  rack: string;
  status: HostStatus;
  vcpus: number;
  memoryMb: number;
  diskGb: number;
  createdAt: Date;
  /** Nova's hypervisor id for this host (a UUID since microversion 2.53). */
  hypervisorId: string;
}

/** A Nova host aggregate (os-aggregates): an availability zone is an aggregate with `availability_zone` set. */
export interface Aggregate {
  id: number;
  uuid: string;
  name: string;
  /** Null for an aggregate that only groups hosts (e.g. by hardware trait). */
  availabilityZone: string | null;
  /** Hostnames (Nova compute service hosts). */
  hosts: string[];
  metadata: Record<string, string>;
  createdAt: Date;
}

export interface Flavor {
  id: string;
  name: string;
  vcpus: number;
  ram: number;
  disk: number;
  ephemeral: number;
  swap: number;
  isPublic: boolean;
}
export interface Image {
  id: string;
  /** Glance does not require a name: null shows as `"name": null`. */
  name: string | null;
  status: 'active' | 'queued' | 'deactivated';
  visibility: 'public' | 'private' | 'shared' | 'community';
  hidden: boolean;
  owner: string;
  size: number;
  diskFormat: string;
  containerFormat: string;
  minDisk: number;
  minRam: number;
  checksum: string;
  tags: string[];
  createdAt: Date;
  updatedAt: Date;
}

/** VERIFY_RESIZE: vm_state resized, a resize waiting for confirmResize or revertResize (nova/server-actions.ts). */
export type ServerStatus = 'ACTIVE' | 'SHUTOFF' | 'ERROR' | 'BUILD' | 'PAUSED' | 'DELETED' | 'VERIFY_RESIZE';
export interface Server {
  id: string;
  name: string;
  projectId: string;
  userId: string;
  /** Nova's `OS-EXT-SRV-ATTR:host`, equal to the legacy host's hostname. */
  host: string;
  zone: string;
  status: ServerStatus;
  flavorId: string;
  /** '' when booted from a volume. */ imageId: string;
  keyName: string | null;
  metadata: Record<string, string>;
  createdAt: Date;
  updatedAt: Date;
  launchedAt: Date | null;
  /** What the seed does not vary (absent: Nova's defaults, no tags, no description, unlocked); tests set them. */
  tags?: string[];
  description?: string | null;
  locked?: boolean;
  /** Bumped on every change so cached serialisations can be reused safely. */
  rev: number;
}

export interface VolumeAttachment {
  id: string;
  serverId: string;
  device: string;
  hostName: string;
  attachedAt: Date;
}
export interface Volume {
  id: string;
  name: string;
  description: string | null;
  projectId: string;
  userId: string;
  size: number;
  /** The transitional states (attaching, detaching, reserved, error_deleting) come from the partialRecords option. */
  status: 'creating' | 'available' | 'in-use' | 'error' | 'deleting' | 'attaching' | 'detaching' | 'reserved' | 'error_deleting';
  volumeType: string;
  bootable: boolean;
  zone: string;
  createdAt: Date;
  updatedAt: Date | null;
  attachments: VolumeAttachment[];
  rev: number;
}

export interface Storage {
  id: number;
  zoneId: number;
  name: string;
  type: 'ceph' | 'lvm';
  capacityGb: number;
  createdAt: Date;
}
export interface LegacyDisk {
  id: number;
  storageId: number;
  instanceUuid: string | null;
  name: string;
  sizeGb: number;
  type: 'ssd' | 'sata';
  device: string | null;
  /** 0 detached, 1 attached */ status: 0 | 1;
  createdAt: Date;
}

export interface Network {
  id: string;
  name: string;
  projectId: string;
  shared: boolean;
  external: boolean;
  subnetId: string;
  cidr: string;
  createdAt: Date;
}
export interface Port {
  id: string;
  name: string;
  networkId: string;
  projectId: string;
  deviceId: string;
  deviceOwner: string;
  macAddress: string;
  fixedIps: { subnetId: string; ipAddress: string }[];
  status: 'ACTIVE' | 'DOWN';
  createdAt: Date;
}
export interface FloatingIp {
  id: string;
  projectId: string;
  floatingNetworkId: string;
  address: string;
  fixedIpAddress: string | null;
  portId: string | null;
  routerId: string | null;
  status: 'ACTIVE' | 'DOWN';
  createdAt: Date;
}

export interface Token {
  id: string;
  userId: string;
  projectId: string;
  roleNames: Role['name'][];
  issuedAt: Date;
  expiresAt: Date;
  auditId: string;
}

export interface CatalogEndpoint {
  serviceType: string;
  serviceName: string;
  interface: 'public' | 'internal' | 'admin';
  region: string;
  url: string;
}

export interface Cloud {
  size: CloudSize;
  seed: number;
  region: string;
  projects: Project[];
  roles: Role[];
  users: User[];
  zones: Zone[];
  hosts: Host[];
  storages: Storage[];
  legacyDisks: LegacyDisk[];
  flavors: Flavor[];
  images: Image[];
  servers: Server[];
  volumes: Volume[];
  networks: Network[];
  ports: Port[];
  floatingIps: FloatingIp[];
  tokens: Map<string, Token>;
  /** Filled in by startDemoCloud once every emulator has its port. `%(project_id)s` is substituted per token. */
  catalog: CatalogEndpoint[];
  /** The key the legacy region controller accepts in `X-Api-Key`. */
  legacyApiKey: string;
  /** Next integer ids for legacy writes. */
  nextLegacyDiskId: number;
  /** How long asynchronous transitions take (Nova BUILD→ACTIVE, delete; Cinder creating→available). */
  asyncDelayMs: number;
  /** Lifetime of issued Keystone tokens. */
  tokenTtlMs: number;
  /**
   * Zones whose Nova cell is down (the demo cloud's `downCell` option): Nova answers reads of their servers at
   * microversion 2.69+ with minimal records. Absent: every cell is up.
   */
  downCellZones?: ReadonlySet<string>;
  /** Nova host aggregates (subgraphs/seed/aggregates.ts): one per zone plus an `ssd` one. Absent: none. */
  aggregates?: Aggregate[];
}
