// Nova server writes: POST /servers (202, asynchronous build) and DELETE /servers/{id} (204, asynchronous).
// https://docs.openstack.org/api-ref/compute/#create-server · #delete-server
//
// Create: the server is listed at once as BUILD/spawning on the online, enabled host of the requested zone
// (any zone when none is given) that runs the fewest servers, with a Neutron port on the caller's project
// network (or the `networks` asked for); after cloud.asyncDelayMs it is ACTIVE. With no usable host it goes to
// ERROR with a NoValidHost fault, as the scheduler would. From 2.37 `networks` is required ("auto"/"none"/list).
// Delete: task_state "deleting" at once; after cloud.asyncDelayMs the server is gone, its volumes detached
// (back to "available"), its ports deleted and their floating IPs disassociated.
import { randomBytes, randomUUID } from 'node:crypto';
import type { EmulatorReply } from '../emulator/emulator-server.ts';
import type { Network, Port, Server } from '../seed/types.ts';
import { type NovaContext, type NovaState, instanceNotFound, novaFault } from './common.ts';
import { serverLinks } from './serialize.ts';
import { visibleServer } from './servers.ts';
import { instanceStateOf, notifyInstance, notifyInstanceChange } from '../notify/nova.ts';

const later = (state: NovaState, fn: () => void) => setTimeout(fn, state.cloud.asyncDelayMs).unref();
const touch = (server: Server) => {
  server.updatedAt = new Date();
  server.rev++;
};
const invalid = (field: string, value: unknown, reason: string) =>
  novaFault(400, `Invalid input for field/attribute ${field}. Value: ${JSON.stringify(value)}. ${reason}`);

type NetworkRequest = { network: Network } | { port: Port };

export function createServer(ctx: NovaContext): EmulatorReply {
  const { req, caller, mv, state } = ctx;
  const cloud = state.cloud;
  const body = req.body as { server?: Record<string, unknown> } | undefined;
  const spec = body?.server;
  if (!spec || typeof spec !== 'object' || Array.isArray(spec)) return invalid('server', spec ?? null, "'server' is a required property");
  const { name, flavorRef, imageRef, availability_zone: az, networks, metadata, key_name: keyName } = spec;
  if (typeof name !== 'string' || name.trim() === '' || name.length > 255)
    return invalid('name', name ?? null, "'name' must be a non-empty string of at most 255 characters");
  if (typeof flavorRef !== 'string' && typeof flavorRef !== 'number')
    return invalid('flavorRef', flavorRef ?? null, "'flavorRef' is a required property");
  if (imageRef !== undefined && typeof imageRef !== 'string')
    return invalid('imageRef', imageRef, `${JSON.stringify(imageRef)} is not of type 'string'`);
  if (az !== undefined && typeof az !== 'string') return invalid('availability_zone', az, `${JSON.stringify(az)} is not of type 'string'`);
  if (keyName !== undefined && keyName !== null && typeof keyName !== 'string')
    return invalid('key_name', keyName, "'key_name' is not of type 'string'");
  if (
    metadata !== undefined &&
    (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata) || Object.values(metadata).some((v) => typeof v !== 'string'))
  ) {
    return invalid('metadata', metadata, "'metadata' must be an object of strings");
  }
  if (networks === undefined && mv >= 37) return invalid('server', spec, "'networks' is a required property");
  if (typeof networks === 'string' && (mv < 37 || (networks !== 'auto' && networks !== 'none')))
    return invalid('networks', networks, `'${networks}' is not one of ['auto', 'none'] nor of type 'array'`);
  if (networks !== undefined && typeof networks !== 'string' && !Array.isArray(networks))
    return invalid('networks', networks, "is not of type 'array'");

  const flavor = cloud.flavors.find((f) => f.id === String(flavorRef).slice(String(flavorRef).lastIndexOf('/') + 1));
  if (!flavor) return novaFault(400, 'Invalid flavorRef provided.');
  const imageId = (imageRef ?? '').slice((imageRef ?? '').lastIndexOf('/') + 1);
  if (imageId !== '') {
    const image = cloud.images.find((i) => i.id === imageId && (caller.isAdmin || i.visibility !== 'private' || i.owner === caller.projectId));
    if (!image) return novaFault(400, 'Can not find requested image');
    if (image.status !== 'active') return novaFault(400, `Image ${imageId} is not active.`);
  }
  if (az !== undefined && !cloud.zones.some((z) => z.name === az)) return novaFault(400, 'The requested availability zone is not available');

  // Networks: resolve every request before changing anything.
  const wanted: NetworkRequest[] = [];
  const ownNet = () => cloud.networks.find((n) => n.projectId === caller.projectId && !n.external);
  if (networks === undefined || networks === 'auto') {
    const net = ownNet();
    if (!net) return novaFault(400, `Unable to automatically allocate a network for project ${caller.projectId}`);
    wanted.push({ network: net });
  } else if (Array.isArray(networks)) {
    for (const item of networks as Record<string, unknown>[]) {
      if (item && typeof item.port === 'string') {
        const port = cloud.ports.find((p) => p.id === item.port && (caller.isAdmin || p.projectId === caller.projectId));
        if (!port) return novaFault(400, `Port id ${item.port} could not be found.`);
        if (port.deviceId) return novaFault(409, `Port ${port.id} is still in use.`);
        wanted.push({ port });
      } else if (item && typeof item.uuid === 'string') {
        const net = cloud.networks.find(
          (n) => n.id === item.uuid && (caller.isAdmin || n.projectId === caller.projectId || (n.shared && !n.external)),
        );
        if (!net) return novaFault(400, `Network ${item.uuid} could not be found.`);
        wanted.push({ network: net });
      } else return invalid('networks', networks, "each network needs a 'uuid' or a 'port'");
    }
  }

  const host = pickHost(state, az);
  const now = new Date();
  const server: Server = {
    id: randomUUID(),
    name,
    projectId: caller.projectId,
    userId: caller.userId,
    host: host?.hostname ?? '',
    zone: host ? cloud.zones.find((z) => z.id === host.zoneId)!.name : (az ?? ''),
    status: 'BUILD',
    flavorId: flavor.id,
    imageId,
    keyName: (keyName as string | null | undefined) ?? null,
    metadata: { ...(metadata as Record<string, string> | undefined) },
    createdAt: now,
    updatedAt: now,
    launchedAt: null,
    rev: 0,
  };
  cloud.servers.push(server);
  notifyInstance(state, server, 'instance.create.start');
  if (az !== undefined) state.pinnedAz.set(server.id, az);
  // Ports are bound by the compute host; without one the build fails before networking.
  const ports: Port[] = [];
  if (host) {
    for (const w of wanted) {
      if ('port' in w) {
        w.port.deviceId = server.id;
        w.port.deviceOwner = `compute:${server.zone}`;
        ports.push(w.port);
        state.index.touch();
      } else {
        const port = newPort(state, w.network, server);
        cloud.ports.push(port);
        ports.push(port);
      }
    }
  } else state.noValidHost.add(server.id);

  later(state, () => {
    if (!cloud.servers.includes(server) || state.deleting.has(server.id) || server.status !== 'BUILD') return;
    server.status = host ? 'ACTIVE' : 'ERROR';
    if (host) server.launchedAt = new Date();
    for (const p of ports) p.status = 'ACTIVE';
    touch(server);
    notifyInstanceChange(
      state,
      server,
      { state: 'building', task: 'spawning' },
      host ? 'instance.create.end' : 'instance.create.error',
      host ? undefined : 'No valid host was found.',
    );
  });

  const location = serverLinks(req.origin, server.id)[0].href;
  return {
    status: 202,
    headers: { location },
    body: {
      server: {
        'OS-DCF:diskConfig': spec['OS-DCF:diskConfig'] === 'AUTO' ? 'AUTO' : 'MANUAL',
        adminPass: randomBytes(9).toString('base64url').slice(0, 12),
        id: server.id,
        links: serverLinks(req.origin, server.id),
        security_groups: [{ name: 'default' }],
      },
    },
  };
}

/** The online (status 1) host of the zone — any zone when none is asked — that runs the fewest servers. */
function pickHost(state: NovaState, az: string | undefined) {
  const cloud = state.cloud;
  const zoneIds = new Set(cloud.zones.filter((z) => az === undefined || z.name === az).map((z) => z.id));
  const load = new Map<string, number>();
  for (const s of cloud.servers) if (s.status !== 'DELETED' && s.host) load.set(s.host, (load.get(s.host) ?? 0) + 1);
  let best: (typeof cloud.hosts)[number] | undefined;
  for (const h of cloud.hosts) {
    if (h.status !== 1 || !zoneIds.has(h.zoneId)) continue;
    if (!best || (load.get(h.hostname) ?? 0) < (load.get(best.hostname) ?? 0)) best = h;
  }
  return best;
}

function newPort(state: NovaState, network: Network, server: Server): Port {
  const used = new Set<string>();
  for (const p of state.cloud.ports) if (p.networkId === network.id) for (const ip of p.fixedIps) used.add(ip.ipAddress);
  const [a, b] = network.cidr.split('.');
  let address = '';
  for (let n = 11; ; n++) {
    address = `${a}.${b}.${Math.floor(n / 250)}.${(n % 250) + 2}`;
    if (!used.has(address)) break;
  }
  return {
    id: randomUUID(),
    name: '',
    networkId: network.id,
    projectId: server.projectId,
    deviceId: server.id,
    deviceOwner: `compute:${server.zone}`,
    macAddress: 'fa:16:3e:' + [...randomBytes(3)].map((x) => x.toString(16).padStart(2, '0')).join(':'),
    fixedIps: [{ subnetId: network.subnetId, ipAddress: address }],
    status: 'DOWN',
    createdAt: new Date(),
  };
}

export function deleteServer(ctx: NovaContext): EmulatorReply {
  const { state } = ctx;
  const server = visibleServer(ctx, ctx.req.params.id);
  if (!server) return instanceNotFound(ctx.req.params.id);
  if (!state.deleting.has(server.id)) {
    state.deleting.add(server.id);
    touch(server);
    notifyInstanceChange(state, server, { ...instanceStateOf(state, server), task: null }, 'instance.delete.start');
    later(state, () => removeServer(state, server));
  }
  return { status: 204 };
}

function removeServer(state: NovaState, server: Server): void {
  const cloud = state.cloud;
  state.deleting.delete(server.id);
  state.tasks.delete(server.id);
  const at = cloud.servers.indexOf(server);
  if (at === -1) return;
  cloud.servers.splice(at, 1);
  server.status = 'DELETED';
  touch(server);
  notifyInstance(state, server, 'instance.delete.end');
  // Volume attachments and floating IPs change in place below.
  state.index.touch();
  const now = new Date();
  for (const volume of cloud.volumes) {
    if (!volume.attachments.some((a) => a.serverId === server.id)) continue;
    volume.attachments = volume.attachments.filter((a) => a.serverId !== server.id);
    if (volume.attachments.length === 0) volume.status = 'available';
    volume.updatedAt = now;
    volume.rev++;
  }
  const gone = new Set(cloud.ports.filter((p) => p.deviceId === server.id).map((p) => p.id));
  if (gone.size > 0) {
    // Mutate in place: other emulators hold the same array.
    for (let i = cloud.ports.length - 1; i >= 0; i--) if (gone.has(cloud.ports[i].id)) cloud.ports.splice(i, 1);
    for (const fip of cloud.floatingIps) {
      if (fip.portId && gone.has(fip.portId)) {
        fip.portId = null;
        fip.fixedIpAddress = null;
        fip.status = 'DOWN';
      }
    }
  }
}
