// Builds the seeded demo cloud: deterministic from (size, seed), consistent across services. A host's hostname
// is its Nova host; each instance has 1–3 Cinder volumes, about one in five also a legacy disk, 1–2 ports and
// about one in three a floating IP. Dates are fixed relative to SEED_EPOCH so two builds compare equal.
import { createRng, type Rng } from './random.ts';
import { seedAggregates } from './aggregates.ts';
import type {
  Cloud,
  CloudSize,
  FloatingIp,
  Flavor,
  Host,
  HostStatus,
  Image,
  LegacyDisk,
  Network,
  Port,
  Project,
  Role,
  Server,
  ServerStatus,
  Storage,
  User,
  Volume,
  Zone,
} from './types.ts';

export const CLOUD_SIZES: Record<CloudSize, { zones: number; hostsPerZone: number; instancesPerHost: number }> = {
  tiny: { zones: 2, hostsPerZone: 3, instancesPerHost: 4 },
  small: { zones: 3, hostsPerZone: 10, instancesPerHost: 10 },
  medium: { zones: 4, hostsPerZone: 50, instancesPerHost: 20 },
  large: { zones: 5, hostsPerZone: 100, instancesPerHost: 20 },
};

export const SEED_EPOCH = Date.UTC(2026, 0, 1);
export const DEFAULT_SEED = 42;
export const DEFAULT_REGION = 'RegionOne';
export const DEMO_LEGACY_API_KEY = 'demo-region-controller-key';
/**
 * Mosaic's own Keystone account: the `service` role in the `service` project, as OpenStack deployments give each
 * service's account (devstack's nova, cinder…). It may list revocation events (identity:list_revoke_events) and
 * nothing an administrator may; the gateway uses it for nothing else.
 */
export const DEMO_SERVICE_USER = { name: 'mosaic', password: 'mosaic-service', project: 'service' } as const;

const PROJECT_NAMES = ['admin', 'web', 'data', 'ml', 'ops'] as const;
const FLAVORS: Omit<Flavor, 'id' | 'isPublic' | 'ephemeral' | 'swap'>[] = [
  { name: 'm1.tiny', vcpus: 1, ram: 512, disk: 1 },
  { name: 'm1.small', vcpus: 1, ram: 2048, disk: 20 },
  { name: 'm1.medium', vcpus: 2, ram: 4096, disk: 40 },
  { name: 'm1.large', vcpus: 4, ram: 8192, disk: 80 },
  { name: 'm1.xlarge', vcpus: 8, ram: 16384, disk: 160 },
  { name: 'c1.large', vcpus: 8, ram: 8192, disk: 40 },
  { name: 'r1.large', vcpus: 4, ram: 32768, disk: 80 },
  { name: 'g1.xlarge', vcpus: 16, ram: 65536, disk: 160 },
];
const IMAGE_NAMES = [
  'ubuntu-20.04',
  'ubuntu-22.04',
  'ubuntu-24.04',
  'debian-11',
  'debian-12',
  'centos-stream-9',
  'rocky-8',
  'rocky-9',
  'alma-9',
  'fedora-40',
  'fedora-41',
  'opensuse-15.6',
  'cirros-0.6.2',
  'windows-2019',
  'windows-2022',
  'freebsd-14',
  'arch-2026.01',
  'alpine-3.20',
  'coreos-40',
  'gpu-cuda-12',
];
const VOLUME_TYPES = ['ssd', 'hdd', '__DEFAULT__'];

const at = (daysAfterEpoch: number): Date => new Date(SEED_EPOCH + Math.round((daysAfterEpoch * 86_400_000) / 1000) * 1000);
const mac = (rng: Rng): string => 'fa:16:3e:' + [0, 0, 0].map(() => rng.int(0, 255).toString(16).padStart(2, '0')).join(':');

export interface BuildCloudOptions {
  size?: CloudSize;
  seed?: number;
  region?: string;
  asyncDelayMs?: number;
  tokenTtlMs?: number;
}

export function buildCloud({
  size = 'small',
  seed = DEFAULT_SEED,
  region = DEFAULT_REGION,
  asyncDelayMs = 1500,
  tokenTtlMs = 3_600_000,
}: BuildCloudOptions = {}): Cloud {
  const shape = CLOUD_SIZES[size];
  if (!shape) throw new Error(`unknown cloud size "${size}" (tiny, small, medium, large)`);
  const rng = createRng(seed);

  const projects: Project[] = PROJECT_NAMES.map((name) => ({
    id: rng.hex32(),
    name,
    domainId: 'default',
    description: `${name} project`,
  }));
  const projectByName = (name: string) => projects.find((p) => p.name === name)!;
  const roles: Role[] = (['admin', 'member', 'reader'] as const).map((name) => ({ id: rng.hex32(), name }));
  const users: User[] = [
    { id: rng.hex32(), name: 'admin', password: 'admin', projectId: projectByName('admin').id, roleNames: ['admin', 'member', 'reader'] },
    { id: rng.hex32(), name: 'alice', password: 'alice', projectId: projectByName('web').id, roleNames: ['member', 'reader'] },
    { id: rng.hex32(), name: 'bob', password: 'bob', projectId: projectByName('data').id, roleNames: ['member', 'reader'] },
    { id: rng.hex32(), name: 'carol', password: 'carol', projectId: projectByName('ml').id, roleNames: ['member', 'reader'] },
    { id: rng.hex32(), name: 'dave', password: 'dave', projectId: projectByName('ops').id, roleNames: ['member', 'reader'] },
  ];
  const userOfProject = (projectId: string) => users.find((u) => u.projectId === projectId)!;

  const flavors: Flavor[] = FLAVORS.map((f, i) => ({ ...f, id: String(i + 1), ephemeral: 0, swap: 0, isPublic: true }));

  const images: Image[] = IMAGE_NAMES.map((name, i) => {
    // Mostly public; a few private to a project, one shared and one community image, so that a listing
    // without `visibility=all` misses some of the images servers were booted from.
    const visibility: Image['visibility'] = i === 16 ? 'community' : i === 17 ? 'shared' : i >= 18 ? 'private' : 'public';
    const created = at(-400 + i * 7);
    return {
      id: rng.uuid(),
      name,
      status: 'active',
      visibility,
      hidden: false,
      owner: i >= 18 ? projectByName(i === 18 ? 'web' : 'ml').id : projectByName('admin').id,
      size: rng.int(12, 4000) * 1_048_576,
      diskFormat: name.startsWith('windows') ? 'raw' : 'qcow2',
      containerFormat: 'bare',
      minDisk: name.startsWith('windows') ? 40 : 1,
      minRam: 0,
      checksum: rng.hex32(),
      tags: [],
      createdAt: created,
      updatedAt: at(-400 + i * 7 + 1),
    };
  });
  // A hidden image (os_hidden): no server uses it, but listings must keep hiding it.
  images.push({
    id: rng.uuid(),
    name: 'build-scratch',
    status: 'active',
    visibility: 'public',
    hidden: true,
    owner: projectByName('admin').id,
    size: 1_048_576,
    diskFormat: 'qcow2',
    containerFormat: 'bare',
    minDisk: 0,
    minRam: 0,
    checksum: rng.hex32(),
    tags: ['scratch'],
    createdAt: at(-10),
    updatedAt: at(-10),
  });
  // Images a member's server may boot from: public or community ones, or the project's own private ones.
  const imagesFor = (projectId: string) => images.filter((im) => !im.hidden && (im.visibility !== 'private' || im.owner === projectId));

  const zones: Zone[] = [];
  const hosts: Host[] = [];
  const storages: Storage[] = [];
  const networks: Network[] = [];
  const servers: Server[] = [];
  const volumes: Volume[] = [];
  const legacyDisks: LegacyDisk[] = [];
  const ports: Port[] = [];
  const floatingIps: FloatingIp[] = [];

  const publicNet: Network = {
    id: rng.uuid(),
    name: 'public',
    projectId: projectByName('admin').id,
    shared: true,
    external: true,
    subnetId: rng.uuid(),
    cidr: '172.24.0.0/16',
    createdAt: at(-500),
  };
  networks.push(publicNet);
  projects.forEach((p, i) =>
    networks.push({
      id: rng.uuid(),
      name: `${p.name}-net`,
      projectId: p.id,
      shared: false,
      external: false,
      subnetId: rng.uuid(),
      cidr: `10.${i + 1}.0.0/16`,
      createdAt: at(-450 + i),
    }),
  );
  const netOf = (projectId: string) => networks.find((n) => n.projectId === projectId && !n.external)!;
  const ipCounters = new Map<string, number>();
  const nextIp = (net: Network): string => {
    const n = (ipCounters.get(net.id) ?? 10) + 1;
    ipCounters.set(net.id, n);
    const [a, b] = net.cidr.split('.');
    return `${a}.${b}.${Math.floor(n / 250)}.${(n % 250) + 2}`;
  };

  let hostId = 1;
  let storageId = 1;
  let legacyDiskId = 1;
  let serverSeq = 1;
  const statuses: ServerStatus[] = ['ACTIVE', 'ACTIVE', 'ACTIVE', 'ACTIVE', 'ACTIVE', 'ACTIVE', 'ACTIVE', 'ACTIVE', 'SHUTOFF', 'ERROR'];
  const letters = 'abcdefghijklmnopqrstuvwxyz';

  for (let z = 0; z < shape.zones; z++) {
    const zone: Zone = {
      id: z + 1,
      name: `zone-${letters[z]}`,
      region,
      description: `Availability zone ${letters[z].toUpperCase()}`,
      createdAt: at(-600 + z),
    };
    zones.push(zone);
    for (const type of ['ceph', 'lvm'] as const) {
      storages.push({
        id: storageId++,
        zoneId: zone.id,
        name: `${type}-${zone.name}`,
        type,
        capacityGb: type === 'ceph' ? 500_000 : 100_000,
        createdAt: at(-590 + z),
      });
    }
    const zoneStorages = storages.filter((s) => s.zoneId === zone.id);
    for (let h = 0; h < shape.hostsPerZone; h++) {
      const status: HostStatus = h === shape.hostsPerZone - 1 && shape.hostsPerZone > 3 ? 2 : rng.chance(0.05) ? 0 : 1;
      const host: Host = {
        id: hostId++,
        zoneId: zone.id,
        hostname: `${zone.name}-cn${String(h + 1).padStart(3, '0')}`,
        ip: `192.168.${z + 1}.${h + 10}`,
        rack: `R${z + 1}-${String(Math.floor(h / 20) + 1).padStart(2, '0')}`,
        status,
        vcpus: rng.pick([48, 64, 96]),
        memoryMb: rng.pick([262_144, 393_216, 524_288]),
        diskGb: rng.pick([2000, 4000]),
        createdAt: at(-580 + h),
        hypervisorId: rng.uuid(),
      };
      hosts.push(host);
      for (let i = 0; i < shape.instancesPerHost; i++) {
        const project = rng.pick(projects);
        const bootFromVolume = rng.chance(0.1);
        const created = at(-300 + rng.next() * 290);
        const status = rng.pick(statuses);
        const server: Server = {
          id: rng.uuid(),
          name: `${project.name}-vm-${String(serverSeq++).padStart(5, '0')}`,
          projectId: project.id,
          userId: userOfProject(project.id).id,
          host: host.hostname,
          zone: zone.name,
          status,
          flavorId: rng.pick(flavors).id,
          imageId: bootFromVolume ? '' : rng.pick(imagesFor(project.id)).id,
          keyName: rng.chance(0.5) ? `${project.name}-key` : null,
          metadata: { role: rng.pick(['app', 'db', 'cache', 'batch']) },
          createdAt: created,
          updatedAt: new Date(created.getTime() + 60_000),
          launchedAt: new Date(created.getTime() + 30_000),
          rev: 0,
        };
        servers.push(server);

        const volumeCount = rng.int(1, 3);
        for (let v = 0; v < volumeCount; v++) {
          const isRoot = v === 0 && bootFromVolume;
          volumes.push({
            id: rng.uuid(),
            name: `${server.name}-${isRoot ? 'root' : `data${v}`}`,
            description: null,
            projectId: project.id,
            userId: server.userId,
            size: isRoot ? 40 : rng.pick([10, 20, 50, 100, 200, 500]),
            status: 'in-use',
            volumeType: rng.pick(VOLUME_TYPES),
            bootable: isRoot,
            zone: zone.name,
            createdAt: created,
            updatedAt: created,
            attachments: [{ id: rng.uuid(), serverId: server.id, device: `/dev/vd${letters[v + 1]}`, hostName: host.hostname, attachedAt: created }],
            rev: 0,
          });
        }
        if (rng.chance(0.2)) {
          legacyDisks.push({
            id: legacyDiskId++,
            storageId: rng.pick(zoneStorages).id,
            instanceUuid: server.id,
            name: `${server.name}-legacy`,
            sizeGb: rng.pick([50, 100, 250]),
            type: rng.pick(['ssd', 'sata'] as const),
            device: `/dev/vd${letters[volumeCount + 1]}`,
            status: 1,
            createdAt: created,
          });
        }
        const portCount = rng.int(1, 2);
        const serverPorts: Port[] = [];
        for (let p = 0; p < portCount; p++) {
          const net = netOf(project.id);
          serverPorts.push({
            id: rng.uuid(),
            name: '',
            networkId: net.id,
            projectId: project.id,
            deviceId: server.id,
            deviceOwner: `compute:${zone.name}`,
            macAddress: mac(rng),
            fixedIps: [{ subnetId: net.subnetId, ipAddress: nextIp(net) }],
            status: status === 'ACTIVE' ? 'ACTIVE' : 'DOWN',
            createdAt: created,
          });
        }
        ports.push(...serverPorts);
        if (rng.chance(1 / 3)) {
          floatingIps.push({
            id: rng.uuid(),
            projectId: project.id,
            floatingNetworkId: publicNet.id,
            address: nextIp(publicNet),
            fixedIpAddress: serverPorts[0].fixedIps[0].ipAddress,
            portId: serverPorts[0].id,
            routerId: null,
            status: 'ACTIVE',
            createdAt: created,
          });
        }
      }
    }
  }
  // Each project also keeps a few detached volumes and legacy disks, so "attached to nothing" is exercised.
  for (const project of projects) {
    for (let i = 0; i < 2; i++) {
      volumes.push({
        id: rng.uuid(),
        name: `${project.name}-spare-${i}`,
        description: 'spare',
        projectId: project.id,
        userId: userOfProject(project.id).id,
        size: rng.pick([10, 50]),
        status: 'available',
        volumeType: rng.pick(VOLUME_TYPES),
        bootable: false,
        zone: zones[i % zones.length].name,
        createdAt: at(-20 - i),
        updatedAt: null,
        attachments: [],
        rev: 0,
      });
    }
  }
  legacyDisks.push({
    id: legacyDiskId++,
    storageId: 1,
    instanceUuid: null,
    name: 'orphan-legacy',
    sizeGb: 20,
    type: 'sata',
    device: null,
    status: 0,
    createdAt: at(-5),
  });
  // The service project, role and account come last, after everything else has drawn from the generator, so
  // the rest of the cloud (ids, servers per project) is what it was without them; the project owns no resources.
  const serviceProject: Project = { id: rng.hex32(), name: DEMO_SERVICE_USER.project, domainId: 'default', description: 'service accounts' };
  projects.push(serviceProject);
  roles.push({ id: rng.hex32(), name: 'service' });
  users.push({
    id: rng.hex32(),
    name: DEMO_SERVICE_USER.name,
    password: DEMO_SERVICE_USER.password,
    projectId: serviceProject.id,
    roleNames: ['service'],
  });

  return {
    size,
    seed,
    region,
    projects,
    roles,
    users,
    zones,
    hosts,
    storages,
    legacyDisks,
    flavors,
    images,
    servers,
    volumes,
    networks,
    ports,
    floatingIps,
    tokens: new Map(),
    catalog: [],
    legacyApiKey: DEMO_LEGACY_API_KEY,
    nextLegacyDiskId: legacyDiskId,
    asyncDelayMs,
    tokenTtlMs,
    aggregates: seedAggregates(zones, hosts),
  };
}
