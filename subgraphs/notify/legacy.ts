// The region controller's notifications: its contract is ours (DESIGN.md), so is this one — the oslo.messaging
// envelope like its neighbours', on the `region-controller` exchange, `notifications.info`. Published on host
// removal (`host.delete.end`) and a status change (`host.update`: maintenance on or off), with the old status.
import type { Cloud, Host } from '../seed/types.ts';
import { notifierOf } from './registry.ts';

export function notifyHostDeleted(cloud: Cloud, host: Host): void {
  const zone = cloud.zones.find((z) => z.id === host.zoneId);
  notifierOf(cloud)?.publish('region-controller', {
    publisherId: 'region-controller',
    eventType: 'host.delete.end',
    payload: { host_id: host.id, hostname: host.hostname, zone_id: host.zoneId, zone_name: zone?.name ?? null, status: 'deleted' },
  });
}

const STATUS_NAME = ['offline', 'online', 'maintenance'] as const;

/** A host's status changed (maintenance on or off): `host.update` with the new and the old status. */
export function notifyHostStatus(cloud: Cloud, host: Host, oldStatus: Host['status']): void {
  const zone = cloud.zones.find((z) => z.id === host.zoneId);
  notifierOf(cloud)?.publish('region-controller', {
    publisherId: 'region-controller',
    eventType: 'host.update',
    payload: {
      host_id: host.id,
      hostname: host.hostname,
      zone_id: host.zoneId,
      zone_name: zone?.name ?? null,
      status: STATUS_NAME[host.status],
      old_status: STATUS_NAME[oldStatus],
    },
  });
}
