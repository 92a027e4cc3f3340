// The mutations that change the cloud (schema/operations.graphql). Thin: check and resolve the input into what
// the upstream call needs, then hand it to Operations.run() (datasources/operations/operations.ts), which records,
// sends exactly once, tracks and audits. Ids are accepted as global ids or as the upstream's own (a Nova or Cinder
// UUID), as `instance(id)` does.
import { createHash } from 'node:crypto';
import type { MutationResolvers } from './generated-types.ts';
import type { GraphContext } from './context.ts';
import { MosaicError } from '../core/errors.ts';
import type { OperationKind } from '../datasources/operations/types.ts';
import { OperationRefused, type RunRequest } from '../datasources/operations/operations.ts';
import { IDEMPOTENCY_METADATA_KEY } from '../datasources/operations/kinds.ts';
import { NovaSource } from '../datasources/nova/source.ts';
import { requireAdmin } from './authorize.ts';
import { expectGlobalId, intKey, toGlobalId } from './global-id.ts';
import { operationsOf } from './operation-access.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const bad = (message: string) => new MosaicError('MOSAIC_ERR_BAD_ARGUMENT', message);

const uuidOr = (id: string, type: 'Instance' | 'Image' | 'FloatingIp') => (UUID.test(id) ? id : expectGlobalId(id, type));

/** A Disk global id or a bare Cinder volume UUID → backend and id. */
function diskRef(id: string): { backend: 'cinder' | 'legacy'; id: string } {
  if (UUID.test(id)) return { backend: 'cinder', id };
  const key = expectGlobalId(id, 'Disk');
  const colon = key.indexOf(':');
  const backend = key.slice(0, colon);
  if (backend !== 'cinder' && backend !== 'legacy') throw new MosaicError('MOSAIC_ERR_BAD_ID');
  return { backend, id: key.slice(colon + 1) };
}

function cinderVolumeId(id: string, what: string): string {
  const ref = diskRef(id);
  if (ref.backend !== 'cinder')
    throw bad(`${what}: only Cinder volumes can be ${what.toLowerCase()}ed through Nova; legacy disks belong to the region controller`);
  return ref.id;
}

function stringMap(value: unknown, field: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw bad(`${field} must be an object of strings`);
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > 100) throw bad(`${field} takes at most 100 entries`);
  for (const [k, v] of entries) {
    if (typeof v !== 'string' || k.length === 0 || k.length > 255 || v.length > 255)
      throw bad(`${field} must map keys of 1-255 characters to strings of at most 255`);
    if (k === IDEMPOTENCY_METADATA_KEY) throw bad(`${field} must not set ${IDEMPOTENCY_METADATA_KEY}: Mosaic sets it`);
  }
  return value as Record<string, string>;
}

function name(value: unknown, field = 'name'): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > 255)
    throw bad(`${field} must be a non-empty string of at most 255 characters`);
  return value;
}

/** Runs one mutation through Operations and returns its payload. */
async function run(
  ctx: GraphContext,
  mutation: string,
  kind: OperationKind,
  input: Record<string, unknown>,
  resolve: RunRequest['resolve'],
  explain?: RunRequest['explain'],
) {
  const ops = operationsOf(ctx);
  try {
    const operation = await ops.run({ caller: ctx.caller, requestId: ctx.requestId, mutation, kind, input, resolve, explain });
    return { operation };
  } catch (err) {
    // The FAILED operation that records a refusal, as the global id the client can ask `operation(id)` about.
    if (err instanceof OperationRefused)
      throw new OperationRefused(err.errorName, err.message, toGlobalId('Operation', err.operationId), err.upstream);
    throw err;
  }
}

const instanceAction = (mutation: string, kind: OperationKind) =>
  ((_: unknown, { input }: { input: { idempotencyKey: string; instanceId: string } }, ctx: GraphContext) =>
    run(ctx, mutation, kind, input, async () => ({ instanceId: uuidOr(input.instanceId, 'Instance') }))) as never;

export const operationMutations: Pick<
  MutationResolvers,
  | 'createInstance'
  | 'deleteInstance'
  | 'startInstance'
  | 'stopInstance'
  | 'rebootInstance'
  | 'resizeInstance'
  | 'confirmResizeInstance'
  | 'revertResizeInstance'
  | 'createDisk'
  | 'attachDisk'
  | 'detachDisk'
  | 'deleteDisk'
  | 'deleteHost'
  | 'setHostMaintenance'
  | 'allocateFloatingIp'
  | 'associateFloatingIp'
  | 'disassociateFloatingIp'
  | 'releaseFloatingIp'
> = {
  createInstance: (_, { input }, ctx) =>
    run(ctx, 'createInstance', 'CREATE_INSTANCE', input, async () => {
      const metadata = stringMap(input.metadata, 'metadata');
      if (!input.flavorId) throw bad('flavorId is required');
      if (!input.imageId === !input.bootVolumeId) throw bad('give exactly one of imageId and bootVolumeId');
      const server: Record<string, unknown> = {
        name: name(input.name),
        flavorRef: input.flavorId,
        // https://docs.openstack.org/api-ref/compute/#create-server: from 2.37 `networks` is required.
        networks: input.networkId ? [{ uuid: input.networkId }] : 'auto',
        metadata: { ...metadata, [IDEMPOTENCY_METADATA_KEY]: input.idempotencyKey },
      };
      if (input.imageId) server.imageRef = uuidOr(input.imageId, 'Image');
      if (input.bootVolumeId) {
        server.block_device_mapping_v2 = [
          {
            boot_index: 0,
            uuid: cinderVolumeId(input.bootVolumeId, 'Boot'),
            source_type: 'volume',
            destination_type: 'volume',
            delete_on_termination: false,
          },
        ];
      }
      if (input.zone) server.availability_zone = input.zone;
      if (input.keyName) server.key_name = input.keyName;
      return { server };
    }),
  deleteInstance: instanceAction('deleteInstance', 'DELETE_INSTANCE'),
  startInstance: instanceAction('startInstance', 'START_INSTANCE'),
  stopInstance: instanceAction('stopInstance', 'STOP_INSTANCE'),
  rebootInstance: (_, { input }, ctx) =>
    run(ctx, 'rebootInstance', 'REBOOT_INSTANCE', input, async () => ({
      instanceId: uuidOr(input.instanceId, 'Instance'),
      type: input.type ?? 'SOFT',
    })),
  resizeInstance: (_, { input }, ctx) =>
    run(ctx, 'resizeInstance', 'RESIZE_INSTANCE', input, async () => {
      // Checked before Nova is called: an unknown flavor is the client's mistake, answered at the mutation's path.
      if (typeof input.flavorId !== 'string' || input.flavorId === '' || input.flavorId.length > 255) throw bad('flavorId must be a Nova flavor id');
      // One GET /flavors/{id} (private flavors the project may use included; 404 → unknown), not the whole public list.
      const flavor = await new NovaSource(ctx.upstream, ctx.caller).getFlavor(input.flavorId);
      if (!flavor) throw bad(`flavor ${input.flavorId} does not exist`);
      return { instanceId: uuidOr(input.instanceId, 'Instance'), flavorId: flavor.id, flavorName: flavor.name, confirm: input.confirm !== false };
    }),
  confirmResizeInstance: instanceAction('confirmResizeInstance', 'CONFIRM_RESIZE_INSTANCE'),
  revertResizeInstance: instanceAction('revertResizeInstance', 'REVERT_RESIZE_INSTANCE'),
  createDisk: (_, { input }, ctx) =>
    run(ctx, 'createDisk', 'CREATE_DISK', input, async () => {
      if (!Number.isInteger(input.sizeGb) || input.sizeGb < 1) throw bad('sizeGb must be a positive integer');
      if (input.name !== undefined && input.name !== null) name(input.name);
      if (input.backend === 'CINDER') {
        if (input.storageId) throw bad('storageId is for LEGACY disks');
        const volume: Record<string, unknown> = { size: input.sizeGb, metadata: { [IDEMPOTENCY_METADATA_KEY]: input.idempotencyKey } };
        if (input.name) volume.name = input.name;
        if (input.zone) volume.availability_zone = input.zone;
        if (input.volumeType) volume.volume_type = input.volumeType;
        return { backend: 'CINDER', volume };
      }
      // The region controller trusts Mosaic's key, and an unattached legacy disk is administrators' data (node.ts).
      requireAdmin(ctx.caller, 'Creating legacy disks');
      const diskType = input.volumeType ?? 'ssd';
      if (diskType !== 'ssd' && diskType !== 'sata') throw bad('volumeType of a LEGACY disk is ssd or sata');
      let storageId: number;
      if (input.storageId) storageId = intKey(String(input.storageId));
      else {
        if (!input.zone) throw bad('a LEGACY disk needs zone or storageId');
        const zone = (await ctx.loaders.zones()).find((z) => z.name === input.zone);
        if (!zone) throw bad(`zone ${input.zone} does not exist`);
        const pool = (await ctx.loaders.storages()).filter((s) => s.zoneId === zone.id).sort((a, b) => a.id - b.id)[0];
        if (!pool) throw bad(`zone ${input.zone} has no storage pool`);
        storageId = pool.id;
      }
      // Without a name, one derived from the key: how a create whose answer was lost is found again (kinds.ts).
      const diskName = input.name ?? `mosaic-${createHash('sha256').update(input.idempotencyKey).digest('hex').slice(0, 16)}`;
      return { backend: 'LEGACY', storageId, disk: { name: diskName, size_gb: input.sizeGb, disk_type: diskType } };
    }),
  attachDisk: (_, { input }, ctx) =>
    run(ctx, 'attachDisk', 'ATTACH_DISK', input, async () => {
      if (input.device && !/^\/dev\/[a-z0-9]+$/.test(input.device)) throw bad('device must look like /dev/vdc');
      return { instanceId: uuidOr(input.instanceId, 'Instance'), volumeId: cinderVolumeId(input.diskId, 'Attach'), device: input.device ?? null };
    }),
  detachDisk: (_, { input }, ctx) =>
    run(ctx, 'detachDisk', 'DETACH_DISK', input, async () => {
      const volumeId = cinderVolumeId(input.diskId, 'Detach');
      let instanceId = input.instanceId ? uuidOr(input.instanceId, 'Instance') : null;
      if (!instanceId) {
        const disk = await ctx.loaders.volume.load(volumeId);
        if (!disk) throw new MosaicError('MOSAIC_ERR_NOT_FOUND', `Volume ${volumeId} does not exist`);
        if (!disk.instanceId) throw bad(`Volume ${volumeId} is not attached`);
        instanceId = disk.instanceId;
      }
      return { instanceId, volumeId };
    }),
  deleteDisk: (_, { input }, ctx) =>
    run(ctx, 'deleteDisk', 'DELETE_DISK', input, async () => {
      const ref = diskRef(input.diskId);
      if (ref.backend !== 'cinder') throw bad('legacy disks cannot be deleted: the region controller has no such call');
      return { volumeId: ref.id };
    }),
  allocateFloatingIp: (_, { input }, ctx) =>
    run(ctx, 'allocateFloatingIp', 'ALLOCATE_FLOATING_IP', input, async () => {
      if (input.networkId && !UUID.test(input.networkId)) throw bad('networkId must be a Neutron network UUID');
      // The key's hash in the floating IP's description: how an allocation whose answer was lost is found again (kinds.ts).
      const hash = createHash('sha256').update(input.idempotencyKey).digest('hex').slice(0, 40);
      return { networkId: input.networkId ?? null, description: `${IDEMPOTENCY_METADATA_KEY}=${hash}` };
    }),
  associateFloatingIp: (_, { input }, ctx) =>
    run(ctx, 'associateFloatingIp', 'ASSOCIATE_FLOATING_IP', input, async () => ({
      floatingIpId: uuidOr(input.floatingIpId, 'FloatingIp'),
      instanceId: uuidOr(input.instanceId, 'Instance'),
    })),
  disassociateFloatingIp: (_, { input }, ctx) =>
    run(ctx, 'disassociateFloatingIp', 'DISASSOCIATE_FLOATING_IP', input, async () => ({ floatingIpId: uuidOr(input.floatingIpId, 'FloatingIp') })),
  releaseFloatingIp: (_, { input }, ctx) =>
    run(ctx, 'releaseFloatingIp', 'RELEASE_FLOATING_IP', input, async () => ({ floatingIpId: uuidOr(input.floatingIpId, 'FloatingIp') })),
  setHostMaintenance: (_, { input }, ctx) => {
    requireAdmin(ctx.caller, 'Host maintenance');
    return run(ctx, 'setHostMaintenance', 'SET_HOST_MAINTENANCE', input, async () => {
      if (typeof input.enabled !== 'boolean') throw bad('enabled must be true or false');
      const hostId = intKey(expectGlobalId(input.hostId, 'Host'));
      const host = await ctx.loaders.host.load(hostId);
      if (!host) throw new MosaicError('MOSAIC_ERR_NOT_FOUND', `Host ${hostId} does not exist`);
      return { hostId, zoneId: host.zoneId, hostname: host.hostname, enabled: input.enabled };
    });
  },
  deleteHost: (_, { input }, ctx) => {
    requireAdmin(ctx.caller, 'Deleting hosts');
    return run(
      ctx,
      'deleteHost',
      'DELETE_HOST',
      input,
      async () => {
        const hostId = intKey(expectGlobalId(input.hostId, 'Host'));
        const host = await ctx.loaders.host.load(hostId);
        if (!host) throw new MosaicError('MOSAIC_ERR_NOT_FOUND', `Host ${hostId} does not exist`);
        const zone = (await ctx.loaders.zones()).find((z) => z.id === host.zoneId);
        return { hostId, zoneId: host.zoneId, hostname: host.hostname, zoneName: zone?.name ?? '' };
      },
      // The region controller says only how many instances remain (ret 409001); Nova names them.
      async (err, params) => {
        if (err.errorName !== 'MOSAIC_ERR_CONFLICT') return err;
        const instances = await ctx.loaders.instancesByHost.load({ zoneName: String(params.zoneName), hostname: String(params.hostname) });
        const names = instances.map((i) => `${i.name} (${i.id})`);
        const shown = names.slice(0, 20).join(', ') + (names.length > 20 ? `, and ${names.length - 20} more` : '');
        return new MosaicError(
          'MOSAIC_ERR_CONFLICT',
          `Host ${params.hostname} still runs ${names.length} instance${names.length === 1 ? '' : 's'}: ${shown}. Delete or move them first.`,
          err.upstream,
        );
      },
    );
  },
};
