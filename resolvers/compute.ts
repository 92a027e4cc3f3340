// Instance, Flavor and Image: Nova servers with their edges to every other service.
// A partial record (a server in a down cell, README "Partial records") answers what Nova gave and null for the
// rest; its edges that need Nova's data come from the other services where they can (disks from Cinder's own
// attachments, ports from Neutron by device) and fail with a coded error where they cannot (floating IPs, which
// are looked up by the addresses Nova withheld).
import type {
  FlavorResolvers,
  ImageResolvers,
  InstanceHostStatus,
  InstancePowerState,
  InstanceResolvers,
  InstanceStatus,
} from './generated-types.ts';
import type { Disk, Instance as InstanceRecord } from '../core/domain.ts';
import { partialRecordError } from './partial-record.ts';
import type { GraphContext } from './context.ts';
import { requireAdmin } from './authorize.ts';
import { toGlobalId } from './global-id.ts';

const STATUSES = new Set<string>([
  'ACTIVE',
  'BUILD',
  'DELETED',
  'ERROR',
  'HARD_REBOOT',
  'MIGRATING',
  'PASSWORD',
  'PAUSED',
  'REBOOT',
  'REBUILD',
  'RESCUE',
  'RESIZE',
  'REVERT_RESIZE',
  'SHELVED',
  'SHELVED_OFFLOADED',
  'SHUTOFF',
  'SOFT_DELETED',
  'SUSPENDED',
  'UNKNOWN',
  'VERIFY_RESIZE',
]);
export const instanceStatus = (s: string): InstanceStatus => (STATUSES.has(s) ? s : 'UNKNOWN') as InstanceStatus;

/** Nova's power_state codes (nova/compute/power_state.py); anything else is null. */
const POWER_STATES: Record<number, InstancePowerState> = { 0: 'NOSTATE', 1: 'RUNNING', 3: 'PAUSED', 4: 'SHUTDOWN', 6: 'CRASHED', 7: 'SUSPENDED' };
const HOST_STATUSES = new Set<string>(['UP', 'DOWN', 'MAINTENANCE', 'UNKNOWN']);

/**
 * Cinder volumes attached to a partial record: Nova withheld its volume ids, so they come from Cinder's own
 * attachments (the caller's volume list, shared by the request).
 */
async function cinderDisksOfPartial(i: InstanceRecord, loaders: GraphContext['loaders']) {
  const volumes = await loaders.allVolumes();
  return volumes.flatMap((v) =>
    v.attachedTo.filter((a) => a.serverId === i.id).map((a): Disk => ({ ...v.disk, instanceId: a.serverId, device: a.device })),
  );
}

/** One backend's disks, or a single Error entry so the other backend's disks still reach the client. */
const settledDisks = (result: PromiseSettledResult<Disk[]>): (Disk | Error)[] =>
  result.status === 'fulfilled' ? result.value : [result.reason as Error];

export const Instance: InstanceResolvers = {
  id: (i) => toGlobalId('Instance', i.id),
  uuid: (i) => i.id,
  status: (i) => instanceStatus(i.status),
  project: (i, _, ctx) => ctx.loaders.project.load(i.projectId),
  zone: async (i, _, ctx) => (i.zoneName ? ((await ctx.loaders.zones()).find((z) => z.name === i.zoneName) ?? null) : null),
  host: (i, _, ctx) => {
    requireAdmin(ctx.caller, 'Host placement');
    return i.hostname && i.zoneName ? ctx.loaders.hostByName(i.zoneName, i.hostname) : null;
  },
  availabilityZone: (i) => i.zoneName,
  flavor: (i, _, ctx) => (!i.flavor ? null : 'name' in i.flavor ? i.flavor : ctx.loaders.flavor.load(i.flavor.id)),
  image: (i, _, ctx) => (i.imageId ? ctx.loaders.image.load(i.imageId) : null),
  disks: async (i, _, ctx) => {
    const [cinder, legacy] = await Promise.allSettled([
      i.partial ? cinderDisksOfPartial(i, ctx.loaders) : ctx.loaders.cinderDisksByInstance.load(i),
      ctx.loaders.legacyDisksByInstance.load(i.id),
    ]);
    return [...settledDisks(cinder), ...settledDisks(legacy)] as never;
  },
  ports: (i, _, ctx) => ctx.loaders.portsByInstance.load(i.id),
  floatingIps: (i, _, ctx) => {
    if (i.partial && !i.addresses) throw partialRecordError('its addresses');
    return ctx.loaders.floatingIpsByInstance.load(i);
  },
  powerState: (i) => (i.powerState === null ? null : (POWER_STATES[i.powerState] ?? null)),
  hostStatus: (i) => (i.hostStatus && HOST_STATUSES.has(i.hostStatus) ? (i.hostStatus as InstanceHostStatus) : null),
  metrics: (i, { lastMinutes }, ctx) => ctx.metrics.load('instance', i.id, lastMinutes),
};

export const Flavor: FlavorResolvers = {
  extraSpecs: (f) => f.extraSpecs ?? {},
};

export const Image: ImageResolvers = {
  id: (i) => toGlobalId('Image', i.id),
  imageId: (i) => i.id,
};
