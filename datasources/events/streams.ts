// The two subscription sources over the event stream, as iterators (push-iterator.ts) that end at once when the
// subscriber leaves:
//  - operationUpdates: the operation now, then each new status once, in order, until it is final. Woken by the
//    tracker's changes (operation-changes.ts, any replica) and, as the fallback when a wake-up is lost (Redis
//    down, another replica's tracker), by re-reading it every second.
//  - domainEvents: every hub event `accept` lets through, as it arrives (from the bus, or the changes-since poller).
import { MosaicError } from '../../core/errors.ts';
import { FINAL, type OperationRecord } from '../operations/types.ts';
import type { EventHub } from './event-hub.ts';
import type { OperationChanges } from './operation-changes.ts';
import { pushIterator } from './push-iterator.ts';
import type { DomainEvent } from './types.ts';

const FALLBACK_READ_MS = 1_000;

export function operationUpdates(
  first: OperationRecord,
  load: (id: string) => Promise<OperationRecord | null>,
  changes: OperationChanges,
): AsyncIterableIterator<OperationRecord> {
  let stopped = false;
  let dirty = false;
  let wake: () => void = () => {};
  const stopListening = changes.listen(first.id, () => {
    dirty = true;
    wake();
  });
  const out = pushIterator<OperationRecord>(() => {
    stopped = true;
    stopListening();
    wake();
  });
  let last: string | null = null;
  /** Pushes the operation when its status is new; true once it is final. */
  const emit = (op: OperationRecord): boolean => {
    if (op.status !== last) {
      last = op.status;
      out.push(op);
    }
    return FINAL.has(op.status);
  };
  void (async () => {
    let op = first;
    while (!stopped) {
      if (emit(op)) return out.end();
      if (!dirty) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, FALLBACK_READ_MS);
          timer.unref();
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      if (stopped) return;
      dirty = false;
      try {
        const next = await load(op.id);
        if (!next) return out.end(new MosaicError('MOSAIC_ERR_NOT_FOUND', `Operation ${op.id} no longer exists`));
        op = next;
      } catch {
        // MongoDB failing for a moment: the operation is read again at the next wake-up or second.
      }
    }
  })();
  return out.iterator;
}

/** `onClose` runs once when the subscriber leaves (releasing what it held: the changes-since poller's count). */
export function domainEvents(hub: EventHub, accept: (e: DomainEvent) => boolean, onClose: () => void = () => {}): AsyncIterableIterator<DomainEvent> {
  const unsubscribe = hub.subscribe((e) => {
    if (accept(e)) out.push(e);
  });
  const out = pushIterator<DomainEvent>(() => {
    unsubscribe();
    onClose();
  });
  return out.iterator;
}
