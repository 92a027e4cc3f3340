// Glance JSON → domain. https://docs.openstack.org/api-ref/image/v2/#show-image — images may have no name (Glance
// sends `name: null`: null here too, not "", which would read as a name); `os_hidden` images never appear in lists.
import type { Image } from '../../core/domain.ts';
import { parseOpenStackTime } from '../openstack-time.ts';

export function toImage(i: any): Image {
  return {
    id: i.id,
    name: typeof i.name === 'string' ? i.name : null,
    status: i.status,
    visibility: i.visibility,
    hidden: i.os_hidden === true,
    ownerId: i.owner ?? '',
    sizeBytes: i.size ?? null,
    diskFormat: i.disk_format ?? null,
    containerFormat: i.container_format ?? null,
    minDiskGb: i.min_disk ?? 0,
    minRamMb: i.min_ram ?? 0,
    tags: i.tags ?? [],
    createdAt: parseOpenStackTime(i.created_at)!,
    updatedAt: parseOpenStackTime(i.updated_at),
  };
}
