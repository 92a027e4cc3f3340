// JSON shapes of the legacy region controller: the `{ret, msg, data}` envelope, its error codes, the nginx
// HTML pages the web server in front answers with, and the snake_case records (zone, host, storage, disk).
// The contract is ours (DESIGN.md, "The legacy region controller"); the gateway's datasource reads exactly
// these shapes, so a change here is a change to that contract.
import type { EmulatorReply } from '../emulator/emulator-server.ts';
import type { Host, LegacyDisk, Storage, Zone } from '../seed/types.ts';

/** `ret` codes. Every application reply is HTTP 200; the code is the only error signal. */
export const RET = {
  OK: 0,
  BAD_PARAMETER: 400001,
  BAD_KEY: 401001,
  NOT_FOUND: 404001,
  CONFLICT: 409001,
  INTERNAL: 500001,
} as const;
export type RetCode = (typeof RET)[keyof typeof RET];

const JSON_HEADERS = { 'content-type': 'application/json' };

/** A success: HTTP 200 `{"ret":0,"msg":"ok","data":…}`. */
export function ok(data: unknown): EmulatorReply {
  return { status: 200, headers: JSON_HEADERS, body: `{"ret":0,"msg":"ok","data":${data === undefined ? 'null' : JSON.stringify(data)}}` };
}

/** An application error: still HTTP 200, `data` is null, `msg` a human message. */
export function fail(ret: Exclude<RetCode, 0>, msg: string): EmulatorReply {
  return { status: 200, headers: JSON_HEADERS, body: JSON.stringify({ ret, msg, data: null }) };
}

/** Status lines nginx uses on its own error pages. */
const NGINX_REASONS: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Temporarily Unavailable',
  504: 'Gateway Time-out',
};

/** A page from the nginx in front of the application (its default error page, byte for byte). */
export function nginxPage(status: number): EmulatorReply {
  const title = `${status} ${NGINX_REASONS[status] ?? 'Error'}`;
  return {
    status,
    headers: { 'content-type': 'text/html', server: 'nginx' },
    body: `<html><head><title>${title}</title></head><body><center><h1>${title}</h1></center><hr><center>nginx</center></body></html>`,
  };
}

const UTC8_MS = 8 * 3_600_000;

/** Wall time in UTC+8 without a zone, as the legacy service stores it: "2025-05-06 16:00:00". */
export function legacyTime(date: Date): string {
  const iso = new Date(date.getTime() + UTC8_MS).toISOString(); // "2025-05-06T16:00:00.000Z"
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}

export interface ZoneJson {
  id: number;
  name: string;
  region: string;
  description: string;
  host_count: number;
  created_at: string;
}
export interface HostJson {
  id: number;
  zone_id: number;
  hostname: string;
  ip: string;
  rack: string;
  status: 0 | 1 | 2;
  cpu_cores: number;
  memory_mb: number;
  disk_gb: number;
  created_at: string;
}
export interface StorageJson {
  id: number;
  zone_id: number;
  name: string;
  type: 'ceph' | 'lvm';
  capacity_gb: number;
  used_gb: number;
  disk_count: number;
  created_at: string;
}
export interface DiskJson {
  id: number;
  storage_id: number;
  instance_uuid: string | null;
  name: string;
  size_gb: number;
  disk_type: 'ssd' | 'sata';
  device: string | null;
  attached: 0 | 1;
  created_at: string;
}
export interface ListJson<T> {
  items: T[];
  total: number;
}

export const zoneJson = (z: Zone, hostCount: number): ZoneJson => ({
  id: z.id,
  name: z.name,
  region: z.region,
  description: z.description,
  host_count: hostCount,
  created_at: legacyTime(z.createdAt),
});

export const hostJson = (h: Host): HostJson => ({
  id: h.id,
  zone_id: h.zoneId,
  hostname: h.hostname,
  ip: h.ip,
  rack: h.rack,
  status: h.status,
  cpu_cores: h.vcpus,
  memory_mb: h.memoryMb,
  disk_gb: h.diskGb,
  created_at: legacyTime(h.createdAt),
});

export const storageJson = (s: Storage, usedGb: number, diskCount: number): StorageJson => ({
  id: s.id,
  zone_id: s.zoneId,
  name: s.name,
  type: s.type,
  capacity_gb: s.capacityGb,
  used_gb: usedGb,
  disk_count: diskCount,
  created_at: legacyTime(s.createdAt),
});

export const diskJson = (d: LegacyDisk): DiskJson => ({
  id: d.id,
  storage_id: d.storageId,
  instance_uuid: d.instanceUuid,
  name: d.name,
  size_gb: d.sizeGb,
  disk_type: d.type,
  device: d.device,
  attached: d.status,
  created_at: legacyTime(d.createdAt),
});
