// Nova's volume attachments: the server side of a Cinder attach, writing the shared Cloud so the volume's
// `attachments` and `status` change for Cinder too.
// https://docs.openstack.org/api-ref/compute/#servers-with-volume-attachments-servers-os-volume-attachments
//
// Fields by microversion: `id` (= volume id) until 2.88; `tag` from 2.70; `delete_on_termination` from 2.79;
// `attachment_id` and `bdm_uuid` from 2.89 (list and show only — the POST answer keeps `id`).
// Errors as nova/api/openstack/compute/volumes.py raises them: a volume that is not `available` is
// InvalidVolume → 400 badRequest; a server still building or being deleted → 409 conflictingRequest;
// detaching the root volume of a boot-from-volume server → 403.
import { randomUUID } from 'node:crypto';
import type { EmulatorReply } from '../emulator/emulator-server.ts';
import type { Server, VolumeAttachment } from '../seed/types.ts';
import { type NovaContext, derivedUuid, instanceNotFound, novaFault } from './common.ts';
import { visibleServer } from './servers.ts';
import { notifyVolumeAttachment } from '../notify/nova.ts';

function view(server: Server, volumeId: string, a: VolumeAttachment, mv: number, forCreate = false): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (mv >= 89 && !forCreate) o.attachment_id = a.id;
  if (mv >= 79) o.delete_on_termination = false;
  o.device = a.device;
  if (mv < 89 || forCreate) o.id = volumeId;
  o.serverId = server.id;
  if (mv >= 70) o.tag = null;
  o.volumeId = volumeId;
  if (mv >= 89 && !forCreate) o.bdm_uuid = derivedUuid(`bdm:${a.id}`);
  return o;
}

/** Why an instance cannot take an attach/detach right now (InstanceInvalidState → 409), if it cannot. */
function invalidState(ctx: NovaContext, server: Server, action: string): EmulatorReply | undefined {
  if (ctx.state.deleting.has(server.id)) return novaFault(409, `Cannot '${action}' instance ${server.id} while it is in task_state deleting`);
  if (server.status === 'BUILD') return novaFault(409, `Cannot '${action}' instance ${server.id} while it is in vm_state building`);
  return undefined;
}

export function listAttachments(ctx: NovaContext): EmulatorReply {
  const server = visibleServer(ctx, ctx.req.params.id);
  if (!server) return instanceNotFound(ctx.req.params.id);
  const attached = ctx.state.index.volumesOf(server.id);
  return { status: 200, body: { volumeAttachments: attached.map(({ volume, attachment }) => view(server, volume.id, attachment, ctx.mv)) } };
}

export function showAttachment(ctx: NovaContext): EmulatorReply {
  const server = visibleServer(ctx, ctx.req.params.id);
  if (!server) return instanceNotFound(ctx.req.params.id);
  const attached = ctx.state.index.volumesOf(server.id);
  if (attached.length === 0) return novaFault(404, `Instance ${server.id} is not attached.`);
  const hit = attached.find((a) => a.volume.id === ctx.req.params.volumeId);
  if (!hit) return novaFault(404, `volume_id not found: ${ctx.req.params.volumeId}`);
  return { status: 200, body: { volumeAttachment: view(server, hit.volume.id, hit.attachment, ctx.mv) } };
}

export function attachVolume(ctx: NovaContext): EmulatorReply {
  const { req, caller, mv, state } = ctx;
  const server = visibleServer(ctx, req.params.id);
  if (!server) return instanceNotFound(req.params.id);
  const spec = (req.body as { volumeAttachment?: { volumeId?: unknown; device?: unknown } } | undefined)?.volumeAttachment;
  if (!spec || typeof spec !== 'object') {
    return novaFault(
      400,
      `Invalid input for field/attribute volumeAttachment. Value: ${JSON.stringify(spec ?? null)}. 'volumeAttachment' is a required property`,
    );
  }
  if (typeof spec.volumeId !== 'string' || !/^[0-9a-f-]{32,36}$/i.test(spec.volumeId)) {
    return novaFault(
      400,
      `Invalid input for field/attribute volumeId. Value: ${JSON.stringify(spec.volumeId ?? null)}. ${JSON.stringify(spec.volumeId ?? null)} is not a 'uuid'`,
    );
  }
  if (spec.device !== undefined && spec.device !== null && (typeof spec.device !== 'string' || !/^\/dev\/[a-z0-9]+$/.test(spec.device))) {
    return novaFault(400, `The supplied device path (${String(spec.device)}) is invalid.`);
  }
  const volume = state.cloud.volumes.find((v) => v.id === spec.volumeId && (caller.isAdmin || v.projectId === caller.projectId));
  if (!volume) return novaFault(404, `Volume ${spec.volumeId} could not be found.`);
  const blocked = invalidState(ctx, server, 'attach_volume');
  if (blocked) return blocked;
  if (volume.attachments.some((a) => a.serverId === server.id)) return novaFault(400, `Invalid volume: volume ${volume.id} already attached`);
  if (volume.status !== 'available' || volume.attachments.length > 0) {
    return novaFault(400, `Invalid volume: volume '${volume.id}' status must be 'available'. Currently in '${volume.status}'`);
  }
  const taken = new Set(state.index.volumesOf(server.id).map((a) => a.attachment.device));
  let device = typeof spec.device === 'string' ? spec.device : '';
  if (device && taken.has(device)) return novaFault(409, `The supplied device path (${device}) is in use.`);
  for (let c = 'b'.charCodeAt(0); !device; c++) if (!taken.has(`/dev/vd${String.fromCharCode(c)}`)) device = `/dev/vd${String.fromCharCode(c)}`;

  const now = new Date();
  const attachment: VolumeAttachment = { id: randomUUID(), serverId: server.id, device, hostName: server.host, attachedAt: now };
  volume.attachments = [...volume.attachments, attachment];
  volume.status = 'in-use';
  volume.updatedAt = now;
  volume.rev++;
  server.rev++;
  state.index.touch();
  notifyVolumeAttachment(state, server, volume, 'attach');
  return { status: 200, body: { volumeAttachment: view(server, volume.id, attachment, mv, true) } };
}

export function detachVolume(ctx: NovaContext): EmulatorReply {
  const { req, caller, state } = ctx;
  const server = visibleServer(ctx, req.params.id);
  if (!server) return instanceNotFound(req.params.id);
  const volumeId = req.params.volumeId;
  const volume = state.cloud.volumes.find((v) => v.id === volumeId && (caller.isAdmin || v.projectId === caller.projectId));
  if (!volume) return novaFault(404, `Volume ${volumeId} could not be found.`);
  const attached = state.index.volumesOf(server.id);
  if (attached.length === 0) return novaFault(404, `Instance ${server.id} is not attached.`);
  const hit = attached.find((a) => a.volume === volume);
  if (!hit) return novaFault(404, `volume_id not found: ${volumeId}`);
  if (server.imageId === '' && volume.bootable && hit === attached[0]) return novaFault(403, "Can't detach root device volume");
  const blocked = invalidState(ctx, server, 'detach_volume');
  if (blocked) return blocked;
  volume.attachments = volume.attachments.filter((a) => a !== hit.attachment);
  if (volume.attachments.length === 0) volume.status = 'available';
  volume.updatedAt = new Date();
  volume.rev++;
  server.rev++;
  state.index.touch();
  notifyVolumeAttachment(state, server, volume, 'detach');
  return { status: 202 };
}
