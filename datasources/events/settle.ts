// What an event means for an operation on the resource it names — the event-side twin of
// datasources/operations/kinds.ts `check`: the action's own .end notification is the final state, straight from
// the service that did it, so the operation is finished at once instead of at the tracker's next poll. Any other
// event on the resource wakes the tracker to poll now. Polling remains the fallback for everything an event does
// not settle (no bus, a lost message, a kind with no notification).
import type { Progress } from '../operations/kinds.ts';
import type { OperationRecord } from '../operations/types.ts';
import type { DomainEvent } from './types.ts';

/** Notifications stamped before the operation started (minus clock skew between hosts) belong to an earlier change. */
const SKEW_MS = 2_000;

const novaFailure = (what: string, fault: string | null): Progress => ({
  state: 'failed',
  error: {
    code: 'MOSAIC_ERR_UPSTREAM_STATUS',
    message: `Nova could not ${what}: the instance is in ERROR${fault ? ` (${fault.trim()})` : ''}`,
    upstreamMessage: fault,
  },
});

/** The final state `event` says `op` reached, or null when it only says "something changed: look". */
export function settleBy(event: DomainEvent, op: OperationRecord): (Progress & { state: 'succeeded' | 'failed' }) | null {
  if (event.at.getTime() < op.startedAt.getTime() - SKEW_MS) return null;
  const action = event.kind === 'instance.action' ? event.action : null;
  const done = (): Progress & { state: 'succeeded' } => ({ state: 'succeeded' });
  switch (op.kind) {
    case 'CREATE_INSTANCE':
      if (action !== 'create') return null;
      return event.status === 'ACTIVE' ? done() : event.status === 'ERROR' ? (novaFailure('create the instance', event.fault) as never) : null;
    case 'START_INSTANCE':
      return action === 'power_on' && event.status === 'ACTIVE' ? done() : null;
    case 'STOP_INSTANCE':
      return action === 'power_off' && event.status === 'SHUTOFF' ? done() : null;
    case 'REBOOT_INSTANCE':
      return action === 'reboot' && event.status === 'ACTIVE' ? done() : null;
    case 'DELETE_INSTANCE':
      return event.kind === 'instance.deleted' ? done() : null;
    case 'CREATE_DISK':
      if (event.kind !== 'disk.created') return null;
      if (event.status === 'available') return done();
      return event.status === 'error'
        ? {
            state: 'failed',
            error: { code: 'MOSAIC_ERR_UPSTREAM_STATUS', message: 'Cinder could not create the volume: it is in error', upstreamMessage: 'error' },
          }
        : null;
    case 'ATTACH_DISK':
      return event.kind === 'disk.attached' && event.instanceId === (op.params as { instanceId?: string }).instanceId ? done() : null;
    case 'DETACH_DISK':
      return event.kind === 'disk.detached' && event.instanceId === (op.params as { instanceId?: string }).instanceId ? done() : null;
    case 'DELETE_DISK':
      return event.kind === 'disk.deleted' ? done() : null;
    case 'DELETE_HOST':
      return event.kind === 'host.deleted' ? done() : null;
    case 'SET_HOST_MAINTENANCE':
      // The controller answers synchronously: final before its host.update could say so.
      return null;
    case 'RESIZE_INSTANCE':
    case 'CONFIRM_RESIZE_INSTANCE':
    case 'REVERT_RESIZE_INSTANCE':
      // Whether the flavor is the one asked for is on the server, not in instance.resize_*.end: poll now.
      return null;
    case 'ALLOCATE_FLOATING_IP':
    case 'ASSOCIATE_FLOATING_IP':
    case 'DISASSOCIATE_FLOATING_IP':
    case 'RELEASE_FLOATING_IP':
      // Neutron answers these synchronously: they are final before any notification could say so.
      return null;
  }
}
