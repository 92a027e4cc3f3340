// Disk attached / detached without a message bus (changes-poller.ts polls this beside Nova's changes-since): an
// attachment changes the *volume's* `updated_at` in Cinder, not the server's `updated`, so Cinder is asked.
// https://docs.openstack.org/api-ref/block-storage/v3/#list-accessible-volumes-with-details
//  - `sort=updated_at:desc`, page by page (`marker`), stopping at the first volume not updated since the last look:
//    the changes-since idea on any Cinder release (the `updated_at=gte:` filter needs microversion 3.60). A volume
//    without `updated_at` (never updated) is skipped, not a stop: PostgreSQL sorts NULLs first under `desc`, so
//    they may come before every change. When MAX_PAGES cuts a listing short, the clock moves only to the oldest
//    change read, so the next look reads on from there (the newer ones again, unchanged, are not news).
//  - A scope starts from a baseline: every volume now `in-use` (`status=in-use`) and whom it is attached to, so
//    a later detach of one is news. A volume seen for the first time afterwards reports the attachments made since
//    the scope began (each carries `attached_at`).
//  - Each volume's attached servers are diffed with the last seen: a new server is DISK_ATTACHED, a gone one
//    DISK_DETACHED (resource: the volume; instance: the server). The window is inclusive: a volume listed again
//    unchanged is not news.
import { OpenStackSource } from '../openstack-source.ts';
import { garbled } from '../http/status-error.ts';
import type { DomainEvent } from './types.ts';

/** One volume as the listing shows it. */
export interface VolumeChange {
  id: string;
  projectId: string;
  status: string;
  updatedAt: Date | null;
  attachments: { serverId: string; attachedAt: Date | null }[];
}

export interface VolumeScope {
  /** Where the next listing stops (inclusive); null until the baseline is taken. */
  since: Date | null;
  /** When the scope began: attachments of a volume first seen later count from here. */
  began: number;
  /** Each volume's attached server ids, as last seen. */
  seen: Map<string, Set<string>>;
}

const PAGE = 1000;
/** Most pages one look reads (10 000 volumes changed within one poll interval is beyond any use of this). */
const MAX_PAGES = 10;
/** A scope forgets the oldest volumes past this many. */
const MAX_REMEMBERED = 50_000;

const dateOf = (v: unknown): Date | null => {
  if (typeof v !== 'string' || v === '') return null;
  // Cinder's timestamps carry no zone and are UTC ("2026-01-15T10:58:43.123000").
  const d = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(v) ? v : `${v}Z`);
  return Number.isNaN(d.getTime()) ? null : d;
};

export class CinderChanges extends OpenStackSource {
  private async list(
    query: Record<string, string>,
    stop: (v: VolumeChange) => boolean,
    fallbackProject: string,
  ): Promise<VolumeChange[] & { truncated?: boolean }> {
    const { base, headers } = await this.target('cinder');
    const out: VolumeChange[] & { truncated?: boolean } = [];
    let marker: string | null = null;
    for (let page = 0; page < MAX_PAGES; page++) {
      const params = new URLSearchParams({ ...query, limit: String(PAGE) });
      if (marker) params.set('marker', marker);
      const res = await this.upstream.get('cinder', `${base}/volumes/detail?${params}`, headers);
      const volumes = res.body?.volumes;
      if (!Array.isArray(volumes)) throw garbled('cinder', 'volumes/detail without volumes');
      for (const v of volumes as any[]) {
        const change: VolumeChange = {
          id: String(v.id),
          projectId: typeof v['os-vol-tenant-attr:tenant_id'] === 'string' ? v['os-vol-tenant-attr:tenant_id'] : fallbackProject,
          status: typeof v.status === 'string' ? v.status : 'unknown',
          updatedAt: dateOf(v.updated_at),
          attachments: (Array.isArray(v.attachments) ? v.attachments : [])
            .filter((a: any) => a && typeof a.server_id === 'string')
            .map((a: any) => ({ serverId: a.server_id as string, attachedAt: dateOf(a.attached_at) })),
        };
        if (stop(change)) return out;
        out.push(change);
      }
      if (volumes.length < PAGE) return out;
      marker = String(volumes[volumes.length - 1].id);
    }
    out.truncated = true;
    return out;
  }

  /** Volumes updated at or after `since`, newest first; `truncated` when MAX_PAGES ended the listing early. */
  async since(since: Date, allTenants: boolean, project: string): Promise<{ changes: VolumeChange[]; truncated: boolean }> {
    const scope: Record<string, string> = allTenants ? { all_tenants: '1' } : {};
    const listed = await this.list({ ...scope, sort: 'updated_at:desc' }, (v) => v.updatedAt !== null && v.updatedAt < since, project);
    return { changes: listed.filter((v) => v.updatedAt !== null), truncated: listed.truncated === true };
  }

  /** Every volume attached now (the baseline). */
  inUse(allTenants: boolean, project: string): Promise<VolumeChange[]> {
    const scope: Record<string, string> = allTenants ? { all_tenants: '1' } : {};
    return this.list({ ...scope, status: 'in-use' }, () => false, project);
  }
}

/** Takes the baseline of a new scope (nothing is news yet). */
export function baseline(scope: VolumeScope, volumes: VolumeChange[], now: Date): void {
  for (const v of volumes) scope.seen.set(v.id, new Set(v.attachments.map((a) => a.serverId)));
  scope.since = now;
}

/**
 * The attach and detach events `changes` show against what the scope saw, oldest change first; updates the scope.
 * `truncated`: the listing did not reach back to `since`, so the clock moves only to the oldest change read.
 */
export function volumeEvents(scope: VolumeScope, changes: VolumeChange[], truncated = false): DomainEvent[] {
  const events: DomainEvent[] = [];
  const sorted = [...changes].sort((a, b) => (a.updatedAt?.getTime() ?? 0) - (b.updatedAt?.getTime() ?? 0));
  const oldestRead = sorted.find((v) => v.updatedAt)?.updatedAt ?? null;
  for (const v of sorted) {
    if (!truncated && v.updatedAt && (!scope.since || v.updatedAt > scope.since)) scope.since = v.updatedAt;
    const before = scope.seen.get(v.id);
    const now = new Set(v.attachments.map((a) => a.serverId));
    const at = v.updatedAt ?? new Date();
    const event = (kind: 'disk.attached' | 'disk.detached', serverId: string): DomainEvent => ({
      kind,
      resourceType: 'Disk',
      resourceId: v.id,
      projectId: v.projectId,
      instanceId: serverId,
      status: v.status,
      oldStatus: null,
      taskState: null,
      action: null,
      fault: null,
      metadata: null,
      at,
      eventType: 'updated_at',
      service: 'cinder',
      messageId: `updated_at:${v.id}:${serverId}:${kind}:${at.getTime()}`,
    });
    for (const a of v.attachments) {
      const isNew = before ? !before.has(a.serverId) : (a.attachedAt?.getTime() ?? 0) >= scope.began - 1_000;
      if (isNew) events.push(event('disk.attached', a.serverId));
    }
    for (const serverId of before ?? []) if (!now.has(serverId)) events.push(event('disk.detached', serverId));
    scope.seen.delete(v.id);
    scope.seen.set(v.id, now);
  }
  if (truncated && oldestRead && (!scope.since || oldestRead > scope.since)) scope.since = oldestRead;
  while (scope.seen.size > MAX_REMEMBERED) scope.seen.delete(scope.seen.keys().next().value!);
  return events;
}
