// Records a real cloud returns that the plain seed never holds, added to a built cloud by the demo cloud's
// `partialRecords` option (off by default, so the seed, the tests that compare with it and the bench are
// unchanged): an image without a name (Glance does not require one), volumes in Cinder's transitional states and
// a port bound to nothing. Nova's down-cell servers are the `downCell` option (Cloud.downCellZones), not data.
// The records are derived deterministically from the built cloud; nothing draws from the seed's generator.
import type { Cloud, Image, Port, Volume } from './types.ts';

export interface PartialRecordIds {
  /** An active image with `name: null`, which one server boots from. */
  namelessImageId: string;
  /** The server booted from the nameless image. */
  namelessImageServerId: string;
  /** Volumes by the Cinder status they were given. */
  volumes: Record<'attaching' | 'detaching' | 'reserved' | 'error_deleting', string>;
  /** A Neutron port with no device (device_id and device_owner ""). */
  unboundPortId: string;
}

/** A stable UUID-shaped id from a label and the cloud's seed. */
const idFor = (cloud: Cloud, label: string): string => {
  let h = 0x811c9dc5 ^ cloud.seed;
  let out = '';
  for (let round = 0; out.length < 32; round++) {
    for (const ch of `${label}:${round}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
    out += h.toString(16).padStart(8, '0');
  }
  return `${out.slice(0, 8)}-${out.slice(8, 12)}-4${out.slice(13, 16)}-a${out.slice(17, 20)}-${out.slice(20, 32)}`;
};

/** Adds the partial records to `cloud` (in place) and returns their ids. */
export function addPartialRecords(cloud: Cloud): PartialRecordIds {
  // Glance: an image without a name, public so that any server may boot from it.
  const template = cloud.images.find((i) => !i.hidden && i.visibility === 'public')!;
  const nameless: Image = { ...template, id: idFor(cloud, 'image:nameless'), name: null, tags: [] };
  cloud.images.push(nameless);
  const server = cloud.servers.find((s) => s.imageId !== '' && s.status === 'ACTIVE')!;
  server.imageId = nameless.id;
  server.rev++;

  // Cinder: an attached data volume now detaching (it keeps its attachment until detached), spare volumes
  // reserved and failing to delete, and a new volume attaching to a server (no attachment listed yet: Cinder
  // shows completed attachments only).
  const attached = cloud.volumes.find((v) => v.status === 'in-use' && !v.bootable && v.attachments[0]?.serverId !== server.id)!;
  const spares = cloud.volumes.filter((v) => v.status === 'available');
  const change = (v: Volume, status: Volume['status']) => {
    v.status = status;
    v.rev++;
    return v.id;
  };
  const attaching: Volume = {
    ...spares[0],
    id: idFor(cloud, 'volume:attaching'),
    name: 'attaching-volume',
    projectId: server.projectId,
    userId: server.userId,
    zone: server.zone,
    status: 'attaching',
    attachments: [],
    rev: 0,
  };
  cloud.volumes.push(attaching);

  // Neutron: a port on the server's project network, bound to nothing.
  const template2 = cloud.ports.find((p) => p.projectId === server.projectId)!;
  const unbound: Port = {
    ...template2,
    id: idFor(cloud, 'port:unbound'),
    deviceId: '',
    deviceOwner: '',
    fixedIps: [],
    status: 'DOWN',
    macAddress: 'fa:16:3e:00:00:fe',
  };
  cloud.ports.push(unbound);

  return {
    namelessImageId: nameless.id,
    namelessImageServerId: server.id,
    volumes: {
      attaching: attaching.id,
      detaching: change(attached, 'detaching'),
      reserved: change(spares[1], 'reserved'),
      error_deleting: change(spares[2], 'error_deleting'),
    },
    unboundPortId: unbound.id,
  };
}
