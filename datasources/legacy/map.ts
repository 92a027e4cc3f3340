// Legacy region controller JSON → domain (its contract: DESIGN.md "The legacy region controller"): integer ids,
// snake_case, flags as 0/1, host status 0 offline / 1 online / 2 maintenance, and timestamps as wall time in
// UTC+8 without a zone ("2015-11-07 10:58:43").
import type { Disk, Host, HostStatus, Zone } from '../../core/domain.ts';

const HOST_STATUS: Record<number, HostStatus> = { 0: 'OFFLINE', 1: 'ONLINE', 2: 'MAINTENANCE' };

/** "2015-11-07 10:58:43" in UTC+8 → the instant. */
export function parseLegacyTime(value: string | null | undefined): Date | null {
  if (!value) return null;
  const date = new Date(`${value.replace(' ', 'T')}+08:00`);
  return Number.isNaN(date.getTime()) ? null : date;
}

export const toZone = (z: any): Zone => ({
  id: z.id,
  name: z.name,
  region: z.region ?? '',
  description: z.description ?? '',
  hostCount: z.host_count ?? 0,
  createdAt: parseLegacyTime(z.created_at)!,
});

export const toHost = (h: any): Host => ({
  id: h.id,
  zoneId: h.zone_id,
  hostname: h.hostname,
  ip: h.ip,
  rack: h.rack ?? '',
  status: HOST_STATUS[h.status] ?? 'OFFLINE',
  capacity: { vcpus: h.cpu_cores, memoryMb: h.memory_mb, diskGb: h.disk_gb },
  createdAt: parseLegacyTime(h.created_at)!,
});

export const toLegacyDisk = (d: any, zoneName: string | null = null): Disk => ({
  backend: 'LEGACY',
  id: String(d.id),
  name: d.name ?? null,
  sizeGb: d.size_gb,
  status: d.attached === 1 ? 'in-use' : 'available',
  volumeType: d.disk_type ?? null,
  bootable: false,
  device: d.device ?? null,
  instanceId: d.instance_uuid ?? null,
  projectId: null,
  zoneName,
  createdAt: parseLegacyTime(d.created_at),
});

/** A storage pool (GET /storages): the dashboard reads its zone and used space. */
export interface StoragePool {
  id: number;
  zoneId: number;
  usedGb: number;
}

export const toStoragePool = (s: any): StoragePool => ({ id: s.id, zoneId: s.zone_id, usedGb: s.used_gb ?? 0 });
