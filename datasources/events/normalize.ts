// oslo.messaging notifications → DomainEvent. The wire format
// (https://docs.openstack.org/oslo.messaging/latest/reference/notifier.html): a 2.0 envelope
// `{"oslo.version": "2.0", "oslo.message": "<JSON>"}` whose message holds message_id, publisher_id, event_type,
// priority, payload and timestamp (UTC, no zone); older senders put the message object itself on the wire.
// Nova's versioned payloads are oslo versioned objects (`nova_object.data`,
// https://docs.openstack.org/nova/latest/admin/notifications.html); Cinder's are flat
// (cinder/volume/volume_utils.py _usage_from_volume). Anything else, or a payload missing what the kind needs, is
// malformed: null, and the consumer counts it.
import type { DomainEvent, EventKind } from './types.ts';

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** Nova's vm_state (with a reboot task) → the graph's InstanceStatus, as nova/api/openstack/common.py _STATE_MAP. */
const VM_STATUS: Record<string, string> = {
  active: 'ACTIVE',
  building: 'BUILD',
  stopped: 'SHUTOFF',
  error: 'ERROR',
  deleted: 'DELETED',
  soft_deleted: 'SOFT_DELETED',
  paused: 'PAUSED',
  suspended: 'SUSPENDED',
  rescued: 'RESCUE',
  resized: 'VERIFY_RESIZE',
  shelved: 'SHELVED',
  shelved_offloaded: 'SHELVED_OFFLOADED',
};
export function instanceStatus(vmState: string | null, task: string | null): string | null {
  if (!vmState) return null;
  if (vmState === 'active' && task === 'rebooting') return 'REBOOT';
  if (vmState === 'active' && task === 'rebooting_hard') return 'HARD_REBOOT';
  return VM_STATUS[vmState] ?? vmState.toUpperCase();
}

/** oslo's `2026-01-15 10:58:43.123456` (UTC) or ISO 8601. */
function timestamp(v: unknown): Date | null {
  if (typeof v !== 'string') return null;
  const iso = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?$/.test(v) ? v.replace(' ', 'T').replace(/(\.\d{3})\d*$/, '$1') + 'Z' : v;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** The oslo message inside an envelope (or a bare message). */
function messageOf(body: unknown): Json | null {
  if (!isObj(body)) return null;
  if ('oslo.message' in body) {
    if (body['oslo.version'] !== '2.0' || typeof body['oslo.message'] !== 'string') return null;
    try {
      const inner: unknown = JSON.parse(body['oslo.message']);
      return isObj(inner) ? inner : null;
    } catch {
      return null;
    }
  }
  return 'event_type' in body ? body : null;
}

const NOVA_ACTIONS: Record<string, string> = {
  'instance.create.end': 'create',
  'instance.create.error': 'create',
  'instance.delete.start': 'delete',
  'instance.power_on.end': 'power_on',
  'instance.power_off.end': 'power_off',
  'instance.reboot.end': 'reboot',
};

function nova(eventType: string, payload: Json, base: Base): DomainEvent | null {
  const data = isObj(payload['nova_object.data']) ? payload['nova_object.data'] : null;
  const uuid = str(data?.uuid);
  const projectId = str(data?.tenant_id);
  if (!data || !uuid || !projectId) return null;
  const task = str(data.task_state);
  const status = instanceStatus(str(data.state), task);
  const update = isObj(data.state_update) && isObj(data.state_update['nova_object.data']) ? data.state_update['nova_object.data'] : null;
  const fault = isObj(data.fault) && isObj(data.fault['nova_object.data']) ? str(data.fault['nova_object.data'].exception_message) : null;
  const metadata = isObj(data.metadata)
    ? (Object.fromEntries(Object.entries(data.metadata).filter(([, v]) => typeof v === 'string')) as Record<string, string>)
    : null;
  const common = { ...base, projectId, status, taskState: task, fault, metadata, service: 'nova' as const, oldStatus: null, action: null };
  const volumeId = str(data.volume_id);
  if (eventType === 'instance.create.start')
    return { ...common, kind: 'instance.created', resourceType: 'Instance', resourceId: uuid, instanceId: uuid };
  if (eventType === 'instance.delete.end')
    return { ...common, kind: 'instance.deleted', resourceType: 'Instance', resourceId: uuid, instanceId: uuid, status: 'DELETED' };
  if (eventType === 'instance.update') {
    if (!update) return null;
    return {
      ...common,
      kind: 'instance.status',
      resourceType: 'Instance',
      resourceId: uuid,
      instanceId: uuid,
      oldStatus: instanceStatus(str(update.old_state), str(update.old_task_state)),
    };
  }
  if (eventType === 'instance.volume_attach.end' || eventType === 'instance.volume_detach.end') {
    if (!volumeId) return null;
    const kind: EventKind = eventType === 'instance.volume_attach.end' ? 'disk.attached' : 'disk.detached';
    return { ...common, kind, resourceType: 'Disk', resourceId: volumeId, instanceId: uuid };
  }
  const action = NOVA_ACTIONS[eventType];
  if (action) return { ...common, kind: 'instance.action', resourceType: 'Instance', resourceId: uuid, instanceId: uuid, action };
  // Other versioned notifications (instance.pause.end, instance.shutdown.start…): an instance event of no kind we use.
  return null;
}

const CINDER_KINDS: Record<string, EventKind> = {
  'volume.create.start': 'disk.status',
  'volume.create.end': 'disk.created',
  'volume.attach.end': 'disk.status',
  'volume.detach.end': 'disk.status',
  'volume.delete.start': 'disk.status',
  'volume.delete.end': 'disk.deleted',
};

function cinder(eventType: string, payload: Json, base: Base): DomainEvent | null {
  const kind = CINDER_KINDS[eventType];
  const volumeId = str(payload.volume_id);
  const projectId = str(payload.tenant_id);
  if (!kind || !volumeId || !projectId) return null;
  const attachments = Array.isArray(payload.volume_attachment) ? payload.volume_attachment.filter(isObj) : [];
  return {
    ...base,
    kind,
    resourceType: 'Disk',
    resourceId: volumeId,
    projectId,
    instanceId: str(attachments[0]?.instance_uuid),
    status: kind === 'disk.deleted' ? 'deleted' : str(payload.status),
    oldStatus: null,
    taskState: null,
    action: null,
    fault: null,
    metadata: null,
    service: 'cinder',
  };
}

function legacy(eventType: string, payload: Json, base: Base): DomainEvent | null {
  if (eventType !== 'host.delete.end' || (typeof payload.host_id !== 'number' && typeof payload.host_id !== 'string')) return null;
  return {
    ...base,
    kind: 'host.deleted',
    resourceType: 'Host',
    resourceId: String(payload.host_id),
    projectId: null,
    instanceId: null,
    status: 'deleted',
    oldStatus: null,
    taskState: null,
    action: null,
    fault: null,
    metadata: null,
    service: 'legacy',
  };
}

type Base = Pick<DomainEvent, 'at' | 'eventType' | 'messageId'>;

/**
 * One message body (bytes or parsed) → a DomainEvent; null when it is malformed; `ignored` for a well-formed
 * notification of a type no one here reads (counted apart from malformed ones).
 */
export function normalize(body: Buffer | string | unknown): DomainEvent | null | 'ignored' {
  let parsed: unknown = body;
  if (Buffer.isBuffer(body) || typeof body === 'string') {
    try {
      parsed = JSON.parse(body.toString());
    } catch {
      return null;
    }
  }
  const message = messageOf(parsed);
  if (!message) return null;
  const eventType = str(message.event_type);
  const at = timestamp(message.timestamp);
  const payload = message.payload;
  if (!eventType || !at || !isObj(payload)) return null;
  const base: Base = { at, eventType, messageId: str(message.message_id) ?? '' };
  const publisher = str(message.publisher_id) ?? '';
  let event: DomainEvent | null;
  if (eventType.startsWith('instance.')) event = nova(eventType, payload, base);
  else if (eventType.startsWith('volume.')) event = cinder(eventType, payload, base);
  else if (eventType.startsWith('host.') && publisher === 'region-controller') event = legacy(eventType, payload, base);
  else return 'ignored';
  if (event) return event;
  // A type we know with a payload that lacks what it must carry is malformed; an instance type we do not read is not.
  const known =
    eventType in NOVA_ACTIONS ||
    eventType in CINDER_KINDS ||
    [
      'instance.create.start',
      'instance.delete.end',
      'instance.update',
      'instance.volume_attach.end',
      'instance.volume_detach.end',
      'host.delete.end',
    ].includes(eventType);
  return known ? null : 'ignored';
}
