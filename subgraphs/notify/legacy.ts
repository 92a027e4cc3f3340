// The region controller's notifications: its contract is ours (DESIGN.md), so is this one — the oslo.messaging
// envelope like its neighbours', on the `region-controller` exchange, `notifications.info`. Published on host
// removal (`host.delete.end`), the one state change of its own the graph cares about.
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
