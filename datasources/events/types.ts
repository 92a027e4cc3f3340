// The cloud's notifications as one domain event stream (DESIGN.md "Writes, events and freshness"): whatever the
// upstream (Nova's versioned notifications, Cinder's, the region controller's), one shape, named like the graph.
// normalize.ts makes them; operations (settle.ts) and subscriptions read them.

export type EventKind =
  /** Nova accepted a new instance (instance.create.start): it exists, status BUILD. */
  | 'instance.created'
  /** vm_state or task_state changed (instance.update). */
  | 'instance.status'
  /** The instance is gone (instance.delete.end). */
  | 'instance.deleted'
  /** A server action finished (instance.create.end/.error, power_on/off.end, reboot.end, delete.start): `action` says which. */
  | 'instance.action'
  /** A volume was attached to / detached from an instance (Nova's instance.volume_attach.end / volume_detach.end). */
  | 'disk.attached'
  | 'disk.detached'
  /** Cinder: volume.create.end (available or error). */
  | 'disk.created'
  /** Cinder: another status change of a volume (volume.attach.end, volume.detach.end, volume.create.start, delete.start). */
  | 'disk.status'
  | 'disk.deleted'
  /** The region controller removed a host. */
  | 'host.deleted';

export interface DomainEvent {
  kind: EventKind;
  resourceType: 'Instance' | 'Disk' | 'Host';
  /** Instance: the Nova UUID; Disk: the Cinder volume UUID; Host: the region controller's host id. */
  resourceId: string;
  /** The owning project; null for hosts (administrators' data). */
  projectId: string | null;
  /** The instance the event is about: the instance itself, or the one a disk was attached to or detached from. */
  instanceId: string | null;
  /** Instance: the graph's InstanceStatus (ACTIVE, SHUTOFF…); Disk: Cinder's status; Host: `deleted`. */
  status: string | null;
  oldStatus: string | null;
  /** Nova's task_state after the change (null when idle). */
  taskState: string | null;
  /** For instance.action: create, delete, power_on, power_off, reboot, volume_attach… */
  action: string | null;
  /** Nova's fault message (instance.create.error). */
  fault: string | null;
  /** Nova instance metadata, when the payload carries it (a create's idempotency key). */
  metadata: Record<string, string> | null;
  /** When the service sent it (the oslo timestamp). */
  at: Date;
  /** The upstream's own event_type, e.g. instance.power_off.end. */
  eventType: string;
  service: 'nova' | 'cinder' | 'legacy';
  messageId: string;
}

/** The key operations name their target by (datasources/operations/types.ts OperationTarget.key). */
export function targetKeyOf(e: DomainEvent): string {
  return e.resourceType === 'Disk' ? `cinder:${e.resourceId}` : e.resourceId;
}
