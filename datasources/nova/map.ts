// Nova JSON → domain: servers and flavors. https://docs.openstack.org/api-ref/compute/
//  - From microversion 2.47 a server embeds its flavor (original_name, vcpus, ram, disk…) and carries no flavor
//    id (https://docs.openstack.org/nova/latest/reference/api-microversion-history.html#id43); before, only
//    {id, links}, looked up through the flavors list.
//  - `image` is "" for a server booted from a volume.
//  - Floating addresses come from `addresses` (Nova's network info cache), typed OS-EXT-IPS:type = floating.
//  - A server in a down cell (2.69+) is a minimal record: {id, status "UNKNOWN", tenant_id, created, links} in a
//    list, plus user_id, flavor, image, availability zone and power state in a show
//    (https://docs.openstack.org/api-guide/compute/down_cells.html). It has no `name`, which is how Nova's own
//    view builder tells it apart; everything it lacks maps to null (never to a default that reads as real), and
//    `partial` says so to the resolvers.
//  - Hypervisors (os-hypervisors/detail): `service.host` is the compute host servers and the region controller name;
//    before 2.88 they carry vcpus/memory_mb/local_gb with *_used and free_* (Nova's own accounting: its `used`
//    includes the memory and disk reserved for the host); from 2.88 those fields are gone and usage is null here
//    (Placement has it: datasources/placement/). Aggregates (os-aggregates): hosts, availability_zone, metadata.
//  - Console fields (OS-EXT-STS:*, locked 2.9, host_status 2.16 admin, description 2.19, tags 2.26, locked_reason
//    2.73, fault, security_groups, config_drive) are mapped when present and null when Nova left them out.
import type { Flavor, HostAggregate, HostResourceUsage, HostUsage, Hypervisor, Instance, InstanceAddress } from '../../core/domain.ts';
import { parseOpenStackTime } from '../openstack-time.ts';

export function toFlavor(f: any): Flavor | { id: string } | null {
  if (f === undefined || f === null) return null;
  if (f && typeof f.original_name === 'string') {
    return {
      id: null,
      name: f.original_name,
      vcpus: f.vcpus,
      ramMb: f.ram,
      diskGb: f.disk,
      ephemeralGb: f.ephemeral ?? 0,
      swapMb: typeof f.swap === 'number' ? f.swap : 0,
      extraSpecs: f.extra_specs ?? {},
    };
  }
  return { id: String(f?.id ?? '') };
}

export function toFlavorRecord(f: any): Flavor {
  return {
    id: String(f.id),
    name: f.name,
    vcpus: f.vcpus,
    ramMb: f.ram,
    diskGb: f.disk,
    ephemeralGb: f['OS-FLV-EXT-DATA:ephemeral'] ?? 0,
    swapMb: typeof f.swap === 'number' ? f.swap : 0,
    extraSpecs: f.extra_specs ?? {},
  };
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const bool = (v: unknown): boolean | null => (typeof v === 'boolean' ? v : null);

/** `addresses`: {network: [{addr, version, OS-EXT-IPS:type, OS-EXT-IPS-MAC:mac_addr}]}; null when absent. */
function toAddresses(addresses: unknown): InstanceAddress[] | null {
  if (!addresses || typeof addresses !== 'object') return null;
  return Object.entries(addresses as Record<string, any[]>).flatMap(([network, list]) =>
    (Array.isArray(list) ? list : [])
      .filter((a) => typeof a?.addr === 'string')
      .map((a) => {
        const type = a['OS-EXT-IPS:type'];
        return {
          network,
          address: a.addr,
          version: typeof a.version === 'number' ? a.version : a.addr.includes(':') ? 6 : 4,
          type: type === 'fixed' ? 'FIXED' : type === 'floating' ? 'FLOATING' : null,
          macAddress: str(a['OS-EXT-IPS-MAC:mac_addr']),
        } as InstanceAddress;
      }),
  );
}

/** config_drive: "True" (or "true", "1") when one was used, "" otherwise. */
const configDrive = (v: unknown): boolean | null =>
  typeof v === 'boolean' ? v : typeof v === 'string' ? ['true', '1', 'yes'].includes(v.toLowerCase()) : null;

export function toInstance(s: any): Instance {
  const volumes: any[] | null = Array.isArray(s['os-extended-volumes:volumes_attached']) ? s['os-extended-volumes:volumes_attached'] : null;
  const addresses = toAddresses(s.addresses);
  const fault = s.fault && typeof s.fault === 'object' ? s.fault : null;
  return {
    id: s.id,
    partial: typeof s.name !== 'string',
    name: str(s.name),
    status: s.status,
    projectId: s.tenant_id,
    userId: str(s.user_id),
    zoneName: s['OS-EXT-AZ:availability_zone'] || null,
    hostname: s['OS-EXT-SRV-ATTR:host'] ?? null,
    flavor: toFlavor(s.flavor),
    imageId: s.image && typeof s.image === 'object' && s.image.id ? s.image.id : null,
    volumeIds: (volumes ?? []).map((v: { id: string }) => v.id),
    attachedVolumes: volumes && volumes.map((v) => ({ id: v.id, deleteOnTermination: bool(v.delete_on_termination) })),
    floatingAddresses: (addresses ?? []).filter((a) => a.type === 'FLOATING').map((a) => a.address),
    addresses,
    keyName: s.key_name ?? null,
    metadata: s.metadata && typeof s.metadata === 'object' ? s.metadata : null,
    powerState: typeof s['OS-EXT-STS:power_state'] === 'number' ? s['OS-EXT-STS:power_state'] : null,
    taskState: str(s['OS-EXT-STS:task_state']),
    vmState: str(s['OS-EXT-STS:vm_state']),
    locked: bool(s.locked),
    lockedReason: str(s.locked_reason),
    hostStatus: str(s.host_status) || null,
    description: str(s.description),
    tags: Array.isArray(s.tags) ? s.tags.filter((t: unknown) => typeof t === 'string') : null,
    // Nova leaves security_groups out of a full record whose server has none; a partial record says nothing.
    securityGroups: Array.isArray(s.security_groups)
      ? [...new Set<string>(s.security_groups.map((g: { name?: string }) => g?.name).filter((n: unknown) => typeof n === 'string'))]
      : typeof s.name === 'string'
        ? []
        : null,
    configDrive: configDrive(s.config_drive),
    fault: fault && {
      code: typeof fault.code === 'number' ? fault.code : 0,
      message: typeof fault.message === 'string' ? fault.message : '',
      createdAt: parseOpenStackTime(fault.created),
    },
    createdAt: parseOpenStackTime(s.created)!,
    updatedAt: parseOpenStackTime(s.updated),
    launchedAt: parseOpenStackTime(s['OS-SRV-USG:launched_at']),
    terminatedAt: parseOpenStackTime(s['OS-SRV-USG:terminated_at']),
  };
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** One resource from os-hypervisors before 2.88: free is Nova's free_* where it has one, else total − used. */
function novaResource(total: number, used: number, free: number | null): HostResourceUsage {
  return { total, reserved: null, allocationRatio: null, schedulable: total, used, free: free ?? total - used };
}

/** Capacity and usage as os-hypervisors reports them before 2.88, or null when it reports none (2.88+). */
function hypervisorUsage(h: any): HostUsage | null {
  const vcpus = num(h.vcpus);
  const memory = num(h.memory_mb);
  const disk = num(h.local_gb);
  if (vcpus === null || memory === null || disk === null) return null;
  return {
    source: 'NOVA',
    vcpus: novaResource(vcpus, num(h.vcpus_used) ?? 0, null),
    memoryMb: novaResource(memory, num(h.memory_mb_used) ?? 0, num(h.free_ram_mb)),
    diskGb: novaResource(disk, num(h.local_gb_used) ?? 0, num(h.free_disk_gb)),
  };
}

export function toHypervisor(h: any): Hypervisor {
  const hypervisorHostname = str(h.hypervisor_hostname) ?? '';
  return {
    id: String(h.id),
    host: str(h.service?.host) ?? hypervisorHostname,
    hypervisorHostname,
    usage: hypervisorUsage(h),
  };
}

export function toAggregate(a: any): HostAggregate {
  const metadata: Record<string, string> = {};
  if (a.metadata && typeof a.metadata === 'object') {
    for (const [k, v] of Object.entries(a.metadata)) if (typeof v === 'string') metadata[k] = v;
  }
  return {
    id: Number(a.id),
    uuid: str(a.uuid),
    name: str(a.name) ?? '',
    availabilityZone: str(a.availability_zone) || null,
    hosts: Array.isArray(a.hosts) ? a.hosts.filter((h: unknown): h is string => typeof h === 'string') : [],
    metadata,
  };
}
