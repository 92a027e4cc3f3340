// Nova JSON → domain: servers and flavors. https://docs.openstack.org/api-ref/compute/
//  - From microversion 2.47 a server embeds its flavor (original_name, vcpus, ram, disk…) and carries no flavor
//    id (https://docs.openstack.org/nova/latest/reference/api-microversion-history.html#id43); before, only
//    {id, links}, looked up through the flavors list.
//  - `image` is "" for a server booted from a volume.
//  - Floating addresses come from `addresses` (Nova's network info cache), typed OS-EXT-IPS:type = floating.
import type { Flavor, Instance } from '../../core/domain.ts';
import { parseOpenStackTime } from '../openstack-time.ts';

export function toFlavor(f: any): Flavor | { id: string } {
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

export function toInstance(s: any): Instance {
  return {
    id: s.id,
    name: s.name,
    status: s.status,
    projectId: s.tenant_id,
    userId: s.user_id,
    zoneName: s['OS-EXT-AZ:availability_zone'] || null,
    hostname: s['OS-EXT-SRV-ATTR:host'] ?? null,
    flavor: toFlavor(s.flavor),
    imageId: s.image && typeof s.image === 'object' && s.image.id ? s.image.id : null,
    volumeIds: (s['os-extended-volumes:volumes_attached'] ?? []).map((v: { id: string }) => v.id),
    floatingAddresses: Object.values((s.addresses ?? {}) as Record<string, any[]>)
      .flat()
      .filter((a) => a?.['OS-EXT-IPS:type'] === 'floating')
      .map((a) => a.addr as string),
    keyName: s.key_name ?? null,
    metadata: s.metadata ?? {},
    powerState: s['OS-EXT-STS:power_state'] ?? null,
    taskState: s['OS-EXT-STS:task_state'] ?? null,
    createdAt: parseOpenStackTime(s.created)!,
    updatedAt: parseOpenStackTime(s.updated),
    launchedAt: parseOpenStackTime(s['OS-SRV-USG:launched_at']),
  };
}
