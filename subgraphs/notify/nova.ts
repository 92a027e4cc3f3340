// Nova's versioned notifications, as nova/notifications/objects/instance.py builds them, published by the Nova
// emulator's hooks (server-lifecycle.ts, server-actions.ts, volumes.ts) at each state change:
//   instance.create.start/.end (.error with a fault: NoValidHost), instance.update (vm_state / task_state changed,
//   with `state_update`), instance.delete.start/.end, instance.power_on.end, instance.power_off.end,
//   instance.reboot.end, instance.volume_attach.end / instance.volume_detach.end (with `volume_id`).
// https://docs.openstack.org/nova/latest/admin/notifications.html (samples: doc/notification_samples/*.json).
// Payloads are oslo versioned objects: {"nova_object.name", "nova_object.namespace", "nova_object.version",
// "nova_object.data"}. power_state is spelled as nova.compute.power_state.STATE_MAP does ('running', 'shutdown'…).
import type { Server, Volume } from '../seed/types.ts';
import type { NovaState } from '../nova/common.ts';
import { VM_STATE, taskState } from '../nova/serialize.ts';
import { notifierOf } from './registry.ts';
import { osloTimestamp } from './publisher.ts';
import { notifyVolume } from './cinder.ts';

const POWER_STATE: Record<number, string> = { 0: 'pending', 1: 'running', 3: 'paused', 4: 'shutdown', 6: 'crashed', 7: 'suspended' };

const ovo = (name: string, version: string, data: Record<string, unknown>) => ({
  'nova_object.name': name,
  'nova_object.namespace': 'nova',
  'nova_object.version': version,
  'nova_object.data': data,
});

const time = (d: Date | null | undefined) => (d ? d.toISOString().slice(0, 19) + 'Z' : null);

/** The fields every instance payload carries (InstancePayload). */
function instanceData(state: NovaState, server: Server): Record<string, unknown> {
  const [vmState, power] = VM_STATE[server.status];
  const flavor = state.cloud.flavors.find((f) => f.id === server.flavorId);
  return {
    uuid: server.id,
    tenant_id: server.projectId,
    user_id: server.userId,
    display_name: server.name,
    host: server.host || null,
    host_name: server.name,
    node: server.host || null,
    availability_zone: server.zone || null,
    image_uuid: server.imageId,
    key_name: server.keyName,
    metadata: { ...server.metadata },
    state: vmState,
    power_state: POWER_STATE[power] ?? 'pending',
    task_state: taskState(state, server),
    created_at: time(server.createdAt),
    launched_at: time(server.launchedAt),
    updated_at: time(server.updatedAt),
    terminated_at: server.status === 'DELETED' ? time(server.updatedAt) : null,
    deleted_at: server.status === 'DELETED' ? time(server.updatedAt) : null,
    flavor: flavor
      ? ovo('FlavorPayload', '1.4', {
          flavorid: flavor.id,
          name: flavor.name,
          vcpus: flavor.vcpus,
          memory_mb: flavor.ram,
          root_gb: flavor.disk,
          ephemeral_gb: flavor.ephemeral,
          swap: flavor.swap,
        })
      : null,
    locked: false,
    progress: 0,
    action_initiator_user: server.userId,
    action_initiator_project: server.projectId,
  };
}

function publish(state: NovaState, server: Server, eventType: string, payload: unknown, priority: 'INFO' | 'ERROR' = 'INFO'): void {
  notifierOf(state.cloud)?.publish('nova', { publisherId: `nova-compute:${server.host || 'nova-conductor'}`, eventType, payload, priority }, true);
}

/** An instance action notification: instance.create.start/.end/.error, delete, power_on/off, reboot, volume (un)attach. */
export function notifyInstance(state: NovaState, server: Server, eventType: string, extra: { volumeId?: string; fault?: string } = {}): void {
  if (!notifierOf(state.cloud)) return;
  const data: Record<string, unknown> = { ...instanceData(state, server) };
  data.fault = extra.fault
    ? ovo('ExceptionPayload', '1.1', {
        exception: 'NoValidHost',
        exception_message: extra.fault,
        module_name: 'nova.exception',
        function_name: 'select_destinations',
        traceback: '',
      })
    : null;
  let name = 'InstanceActionPayload';
  if (extra.volumeId) {
    name = 'InstanceActionVolumePayload';
    data.volume_id = extra.volumeId;
  } else if (eventType.startsWith('instance.create.')) name = 'InstanceCreatePayload';
  publish(state, server, eventType, ovo(name, '1.8', data), eventType.endsWith('.error') ? 'ERROR' : 'INFO');
}

/**
 * `instance.update` for a vm_state or task_state change from (oldState, oldTask) to the server's current ones, then
 * `then` (the action's .end notification) when given — the order Nova's compute manager sends them in.
 */
export function notifyInstanceChange(
  state: NovaState,
  server: Server,
  old: { state: string; task: string | null },
  then?: string,
  fault?: string,
): void {
  if (!notifierOf(state.cloud)) return;
  const data = instanceData(state, server);
  const update = ovo('InstanceUpdatePayload', '1.9', {
    ...data,
    state_update: ovo('InstanceStateUpdatePayload', '1.0', {
      old_state: old.state,
      state: data.state,
      old_task_state: old.task,
      new_task_state: data.task_state,
    }),
    old_display_name: null,
    tags: [],
    audit_period: ovo('AuditPeriodPayload', '1.0', { audit_period_beginning: osloTimestamp(), audit_period_ending: osloTimestamp() }),
    bandwidth: [],
  });
  publish(state, server, 'instance.update', update);
  if (then) notifyInstance(state, server, then, { fault });
}

/** The vm_state and task_state the server has now, to pass as `old` to notifyInstanceChange after a change. */
export const instanceStateOf = (state: NovaState, server: Server) => ({ state: VM_STATE[server.status][0], task: taskState(state, server) });

const ACTION_END: Record<string, string> = {
  'powering-on': 'instance.power_on.end',
  'powering-off': 'instance.power_off.end',
  rebooting: 'instance.reboot.end',
  rebooting_hard: 'instance.reboot.end',
};
/** The .end notification of the server action a task_state belongs to. */
export const actionEndEvent = (task: string): string | undefined => ACTION_END[task];

/** A Nova volume attach or detach: Nova's instance.volume_(de)attach.end and Cinder's volume.(de)attach.end. */
export function notifyVolumeAttachment(state: NovaState, server: Server, volume: Volume, action: 'attach' | 'detach'): void {
  notifyInstance(state, server, `instance.volume_${action}.end`, { volumeId: volume.id });
  notifyVolume(state.cloud, volume, `volume.${action}.end`);
}
