// Instance, Flavor and Image: Nova servers with their edges to every other service.
import type { FlavorResolvers, ImageResolvers, InstanceResolvers, InstanceStatus } from './generated-types.ts';
import type { Disk } from '../core/domain.ts';
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
  flavor: (i, _, ctx) => ('name' in i.flavor ? i.flavor : ctx.loaders.flavor.load(i.flavor.id)),
  image: (i, _, ctx) => (i.imageId ? ctx.loaders.image.load(i.imageId) : null),
  disks: async (i, _, ctx) => {
    const [cinder, legacy] = await Promise.allSettled([ctx.loaders.cinderDisksByInstance.load(i), ctx.loaders.legacyDisksByInstance.load(i.id)]);
    return [...settledDisks(cinder), ...settledDisks(legacy)] as never;
  },
  ports: (i, _, ctx) => ctx.loaders.portsByInstance.load(i.id),
  floatingIps: (i, _, ctx) => ctx.loaders.floatingIpsByInstance.load(i),
  metrics: (i, { lastMinutes }, ctx) => ctx.metrics.load('instance', i.id, lastMinutes),
};

export const Flavor: FlavorResolvers = {
  extraSpecs: (f) => f.extraSpecs ?? {},
};

export const Image: ImageResolvers = {
  id: (i) => toGlobalId('Image', i.id),
  imageId: (i) => i.id,
};
