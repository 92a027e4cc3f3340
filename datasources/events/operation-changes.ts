// "Operation X changed", heard from every replica: the tracker that records a status publishes the id on the
// SharedStore (index.ts); this subscribes to that channel once per gateway and wakes the operationUpdated
// subscriptions of that id in this process. With the in-process store it is simply local.
import type { SharedStore } from '../../core/shared-store.ts';

export class OperationChanges {
  private readonly listeners = new Map<string, Set<() => void>>();
  private unsubscribe: Promise<() => Promise<void>> | null = null;

  constructor(
    private readonly store: SharedStore,
    private readonly channel: string,
  ) {}

  /** Calls `onChange` whenever operation `id` changes status; returns stop. Subscribes to the store on first use. */
  listen(id: string, onChange: () => void): () => void {
    this.unsubscribe ??= this.store
      .subscribe(this.channel, (message) => {
        for (const l of this.listeners.get(message) ?? []) l();
      })
      .catch(() => async () => {});
    let set = this.listeners.get(id);
    if (!set) this.listeners.set(id, (set = new Set()));
    set.add(onChange);
    return () => {
      set.delete(onChange);
      if (set.size === 0) this.listeners.delete(id);
    };
  }

  async close(): Promise<void> {
    this.listeners.clear();
    const pending = this.unsubscribe;
    this.unsubscribe = null;
    if (pending) await (await pending)().catch(() => {});
  }
}
