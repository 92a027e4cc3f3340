// Cinder's notifications (unversioned: Cinder has no versioned ones), as cinder/volume/volume_utils.py
// notify_about_volume_usage builds them (_usage_from_volume): volume.create.start/.end, volume.attach.end,
// volume.detach.end, volume.delete.start/.end. Published by the Cinder emulator (cinder.ts) and, for attach and
// detach — which in a real cloud Nova asks Cinder to do — by the Nova emulator's volumes.ts.
// https://docs.openstack.org/cinder/latest/admin/notifications.html (event types); the payload's fields follow
// _usage_from_volume.
import type { Cloud, Volume } from '../seed/types.ts';
import { notifierOf } from './registry.ts';
import { osloTimestamp } from './publisher.ts';

const time = (d: Date | null | undefined) => (d ? osloTimestamp(d).slice(0, 19) : '');

export function notifyVolume(cloud: Cloud, volume: Volume, eventType: string): void {
  const notifier = notifierOf(cloud);
  if (!notifier) return;
  const payload = {
    tenant_id: volume.projectId,
    host: `cinder-volume@${volume.volumeType}#${volume.zone}`,
    user_id: volume.userId,
    availability_zone: volume.zone,
    volume_id: volume.id,
    volume_type: volume.volumeType,
    display_name: volume.name,
    launched_at: time(volume.createdAt),
    created_at: time(volume.createdAt),
    status: volume.status,
    snapshot_id: null,
    size: volume.size,
    replication_status: null,
    replication_extended_status: null,
    replication_driver_data: null,
    metadata: [],
    volume_attachment: volume.attachments.map((a) => ({
      id: a.id,
      volume_id: volume.id,
      instance_uuid: a.serverId,
      attached_host: a.hostName,
      mountpoint: a.device,
      attach_time: time(a.attachedAt),
      attach_status: 'attached',
    })),
  };
  notifier.publish('cinder', { publisherId: `volume.${volume.zone}`, eventType, payload });
}
