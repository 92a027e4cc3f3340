// node(id) / nodes(ids): decodes a global id and loads the object through the same loaders as every other
// path, with the caller's own credentials — so a node lookup authorises exactly like a list would. Objects
// the caller may not see come back null, like objects that do not exist.
import type { GraphContext } from './context.ts';
import { MosaicError } from '../core/errors.ts';
import { fromGlobalId, intKey, type NodeType } from './global-id.ts';
import { visibleOperation } from './operation-access.ts';

type Typed = Record<string, unknown> & { __typename: NodeType };

const typed = (type: NodeType, value: object | null | undefined): Typed | null => (value ? { ...value, __typename: type } : null);

export async function resolveNode(ctx: GraphContext, id: string): Promise<Typed | null> {
  const { type, key } = fromGlobalId(id);
  const { loaders, caller } = ctx;
  switch (type) {
    case 'Zone':
      return typed(
        type,
        (await loaders.zones()).find((z) => z.id === intKey(key)),
      );
    case 'Host':
      // Hosts are administrators' data: invisible, not an error, for others.
      return caller.isAdmin ? typed(type, await loaders.host.load(intKey(key))) : null;
    case 'Instance':
      return typed(type, await loaders.instance.load(key));
    case 'Image':
      return typed(type, await loaders.image.load(key));
    case 'Project':
      return typed(type, await loaders.project.load(key));
    case 'Port':
      return typed(type, await loaders.port.load(key));
    case 'FloatingIp':
      return typed(type, await loaders.floatingIp.load(key));
    // Neutron and Cinder decide with the caller's own token: what they do not list for it is null here.
    case 'Network':
      return typed(type, await loaders.network.load(key));
    case 'Subnet':
      return typed(type, await loaders.subnet.load(key));
    case 'SecurityGroup':
      return typed(type, await loaders.securityGroup.load(key));
    case 'VolumeType':
      return typed(
        type,
        (await loaders.volumeTypes()).find((t) => t.id === key),
      );
    case 'Operation':
      // Members see their own project's operations, administrators every project's (resolvers/operations.ts).
      return typed(type, await visibleOperation(ctx, key));
    case 'Disk': {
      const [backend, diskId] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
      if (backend === 'cinder') return typed(type, await loaders.volume.load(diskId));
      if (backend !== 'legacy') throw new MosaicError('MOSAIC_ERR_BAD_ID');
      // The region controller trusts our service key, so the gateway authorises: a legacy disk is visible when
      // its instance is visible to the caller through Nova; an unattached one only to administrators.
      const disk = await loaders.legacyDisk.load(intKey(diskId));
      if (!disk) return null;
      if (caller.isAdmin) return typed(type, disk);
      if (!disk.instanceId || !(await loaders.instance.load(disk.instanceId))) return null;
      return typed(type, disk);
    }
  }
}

/** A failed lookup of one id in `nodes` nulls that entry alone (with its error), not the whole list. */
export function resolveNodes(ctx: GraphContext, ids: string[]): Promise<(Typed | null | Error)[]> {
  const max = ctx.services.config.server.maxNodeIds;
  if (ids.length > max) throw new MosaicError('MOSAIC_ERR_BAD_ARGUMENT', `nodes takes at most ${max} ids (got ${ids.length})`);
  return Promise.all(ids.map((id) => resolveNode(ctx, id).catch((err: Error) => err)));
}
