// What the emulated Placement knows: one compute-node resource provider per hypervisor, named after the
// hypervisor's hostname and with the hypervisor's UUID (Nova creates the provider with the compute node's uuid,
// the id os-hypervisors shows from microversion 2.53), with VCPU, MEMORY_MB and DISK_GB inventories and usages
// summed from the allocations of the servers on the host.
//   https://docs.openstack.org/api-ref/placement/#resource-provider-inventories
//   https://docs.openstack.org/api-ref/placement/#resource-provider-usages
// Inventories are what nova-compute reports with its default configuration: reserved_host_memory_mb = 512,
// initial_cpu_allocation_ratio = 4.0, initial_ram_allocation_ratio = 1.0, initial_disk_allocation_ratio = 1.0
// (https://docs.openstack.org/nova/latest/configuration/config.html). Usages count every server that has the host
// and is not deleted, as the Nova emulator's os-hypervisors (before 2.88) does, so the two always agree on `used`.
import type { Cloud, Host } from '../seed/types.ts';

export const RESOURCE_CLASSES = ['DISK_GB', 'MEMORY_MB', 'VCPU'] as const;
export type ResourceClass = (typeof RESOURCE_CLASSES)[number];

export interface Inventory {
  allocation_ratio: number;
  max_unit: number;
  min_unit: number;
  reserved: number;
  step_size: number;
  total: number;
}

export const RESERVED_HOST_MEMORY_MB = 512;
export const CPU_ALLOCATION_RATIO = 4.0;

export function inventoriesOf(host: Host): Record<ResourceClass, Inventory> {
  const inv = (total: number, reserved: number, ratio: number): Inventory => ({
    allocation_ratio: ratio,
    max_unit: total,
    min_unit: 1,
    reserved,
    step_size: 1,
    total,
  });
  return {
    DISK_GB: inv(host.diskGb, 0, 1.0),
    MEMORY_MB: inv(host.memoryMb, RESERVED_HOST_MEMORY_MB, 1.0),
    VCPU: inv(host.vcpus, 0, CPU_ALLOCATION_RATIO),
  };
}

/** Sums of the allocations against each host, by hostname. */
export function usagesByHost(cloud: Cloud): Map<string, { usages: Record<ResourceClass, number>; consumers: number }> {
  const flavors = new Map(cloud.flavors.map((f) => [f.id, f]));
  const out = new Map<string, { usages: Record<ResourceClass, number>; consumers: number }>();
  for (const s of cloud.servers) {
    if (s.status === 'DELETED' || !s.host) continue;
    let entry = out.get(s.host);
    if (!entry) out.set(s.host, (entry = { usages: { DISK_GB: 0, MEMORY_MB: 0, VCPU: 0 }, consumers: 0 }));
    const f = flavors.get(s.flavorId);
    entry.usages.VCPU += f?.vcpus ?? 0;
    entry.usages.MEMORY_MB += f?.ram ?? 0;
    entry.usages.DISK_GB += (f?.disk ?? 0) + (f?.ephemeral ?? 0);
    entry.consumers++;
  }
  return out;
}

/**
 * The provider's generation: Placement bumps it on every inventory or allocation change; here one more than the
 * number of consumers, so it changes whenever the host's servers do.
 */
export const generationOf = (consumers: number): number => 1 + consumers;
