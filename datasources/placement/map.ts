// Placement JSON → domain: a compute node provider's VCPU, MEMORY_MB and DISK_GB inventories and usages as a
// host's usage. https://docs.openstack.org/api-ref/placement/#list-resource-provider-inventories
//  - total: the inventory's `total` (physical); reserved and allocation_ratio as Placement has them;
//  - schedulable: (total − reserved) × allocation_ratio, floored — what Placement lets the scheduler allocate
//    (https://docs.openstack.org/placement/latest/user/index.html#overcommit: capacity = (total - reserved) * allocation_ratio);
//  - used: the provider's usages (the sum of its allocations); free: schedulable − used.
// A resource class the provider has no inventory of counts as zero everywhere (a provider without local disk,
// e.g. one whose instances boot from shared storage, has no DISK_GB).
import type { HostResourceUsage, HostUsage } from '../../core/domain.ts';

const num = (v: unknown, fallback: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);

function resource(inventory: any, used: unknown): HostResourceUsage {
  const total = num(inventory?.total, 0);
  const reserved = num(inventory?.reserved, 0);
  const allocationRatio = num(inventory?.allocation_ratio, 1);
  const schedulable = Math.max(0, Math.floor((total - reserved) * allocationRatio));
  const u = num(used, 0);
  return { total, reserved, allocationRatio, schedulable, used: u, free: schedulable - u };
}

export function toHostUsage(inventories: Record<string, any>, usages: Record<string, unknown>): HostUsage {
  return {
    source: 'PLACEMENT',
    vcpus: resource(inventories.VCPU, usages.VCPU),
    memoryMb: resource(inventories.MEMORY_MB, usages.MEMORY_MB),
    diskGb: resource(inventories.DISK_GB, usages.DISK_GB),
  };
}
