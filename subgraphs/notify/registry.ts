// Which notifier an emulated cloud publishes through: set by startDemoCloud when notifications are on, read by the
// emulators' hooks (nova.ts, cinder.ts, legacy.ts here). Keyed by the shared Cloud object so several clouds in one
// process (tests) each publish on their own exchanges, and a cloud without one publishes nothing.
import type { Cloud } from '../seed/types.ts';
import type { AmqpNotifier } from './publisher.ts';

const notifiers = new WeakMap<Cloud, AmqpNotifier>();

export function attachNotifier(cloud: Cloud, notifier: AmqpNotifier): void {
  notifiers.set(cloud, notifier);
}

export const notifierOf = (cloud: Cloud): AmqpNotifier | undefined => notifiers.get(cloud);
