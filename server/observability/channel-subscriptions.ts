// Subscribing to the diagnostics channels (core/diagnostics.ts) and undoing it: subscriptions are process-wide,
// so a gateway drops its own when it closes, or a test process that starts many gateways would keep feeding the
// closed ones.
import diagnostics from 'node:diagnostics_channel';
import type { Channel } from 'node:diagnostics_channel';

export class ChannelSubscriptions {
  private readonly active: [string | symbol, (message: unknown, name: string | symbol) => void][] = [];

  on<T>(channel: Channel, onMessage: (message: T) => void): this {
    const listener = onMessage as (message: unknown) => void;
    diagnostics.subscribe(channel.name, listener);
    this.active.push([channel.name, listener]);
    return this;
  }

  close(): void {
    for (const [name, listener] of this.active.splice(0)) diagnostics.unsubscribe(name, listener);
  }
}
