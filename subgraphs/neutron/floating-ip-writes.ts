// Emulated Neutron floating-IP writes: allocate, (dis)associate and release, as neutron/db/l3_db.py does them.
// https://docs.openstack.org/api-ref/network/v2/#floating-ips-floatingips
//
//  - POST /v2.0/floatingips {floatingip: {floating_network_id, port_id?, description?}} → 201 with the floating IP:
//    an unused address of the external network's subnet. 404 ExternalNetworkNotFound… for a network that is not
//    there or not external; 409 OverQuota past the project's quota (Neutron's default: 50).
//  - PUT /v2.0/floatingips/{id} {floatingip: {port_id}} → 200: associates with the port's first fixed IP (404
//    PortNotFound for a port the caller cannot see; 409 FloatingIPPortAlreadyAssociated when that fixed IP already
//    has a floating IP); `port_id: null` disassociates. Synchronous, as in Neutron: the answer is the final state.
//  - DELETE /v2.0/floatingips/{id} → 204.
// Each publishes floatingip.create.end / floatingip.update.end / floatingip.delete.end (subgraphs/notify/neutron.ts).
import { randomUUID } from 'node:crypto';
import type { EmulatorReply, EmulatorRequest } from '../emulator/emulator-server.ts';
import type { FloatingIp } from '../seed/types.ts';
import { notifyFloatingIp } from '../notify/neutron.ts';
import { NeutronError } from './query.ts';
import { FLOATING_IPS, fipDescriptions, type NeutronContext } from './serialize.ts';

/** Neutron's default `quota_floatingip` per project. */
export const FLOATING_IP_QUOTA = 50;

const reply = (status: number, body?: unknown): EmulatorReply => ({
  status,
  headers: { 'x-openstack-request-id': `req-${randomUUID()}` },
  ...(body === undefined ? {} : { body }),
});

const badRequest = (message: string) => new NeutronError(400, 'HTTPBadRequest', message);

function bodyOf(req: EmulatorRequest): Record<string, unknown> {
  const body = req.body as { floatingip?: unknown } | undefined;
  const fip = body?.floatingip;
  if (!fip || typeof fip !== 'object' || Array.isArray(fip)) throw badRequest("Resource body required: 'floatingip'");
  return fip as Record<string, unknown>;
}

function visibleFip(ctx: NeutronContext, id: string): FloatingIp {
  const fip = ctx.cloud.floatingIps.find((f) => f.id === id && FLOATING_IPS.visible(f, ctx));
  if (!fip) throw new NeutronError(404, 'FloatingIPNotFound', `Floating IP ${id} could not be found`);
  return fip;
}

/** Associates `fip` with `portId` (or disassociates with null), checking what Neutron checks. */
function associate(ctx: NeutronContext, fip: FloatingIp, portId: unknown): void {
  if (portId === null) {
    fip.portId = null;
    fip.fixedIpAddress = null;
    fip.status = 'DOWN';
    return;
  }
  if (typeof portId !== 'string') throw badRequest(`Invalid input for port_id. Reason: '${String(portId)}' is not a valid UUID.`);
  const port = ctx.cloud.ports.find((p) => p.id === portId && (ctx.caller.isAdmin || p.projectId === ctx.caller.projectId));
  if (!port) throw new NeutronError(404, 'PortNotFound', `Port ${portId} could not be found.`);
  const fixed = port.fixedIps[0];
  if (!fixed) throw badRequest(`Port ${port.id} does not have fixed ip`);
  const holder = ctx.cloud.floatingIps.find((f) => f !== fip && f.portId === port.id && f.fixedIpAddress === fixed.ipAddress);
  if (holder) {
    throw new NeutronError(
      409,
      'FloatingIPPortAlreadyAssociated',
      `Cannot associate floating IP ${fip.address} (${fip.id}) with port ${port.id} using fixed IP ${fixed.ipAddress}, as that fixed IP already has a floating IP on external network ${holder.floatingNetworkId}.`,
    );
  }
  fip.portId = port.id;
  fip.fixedIpAddress = fixed.ipAddress;
  fip.status = 'ACTIVE';
}

export function createFloatingIp(req: EmulatorRequest, ctx: NeutronContext): EmulatorReply {
  const spec = bodyOf(req);
  const cloud = ctx.cloud;
  const networkId = spec.floating_network_id;
  if (typeof networkId !== 'string') throw badRequest("Failed to parse request. Required attribute 'floating_network_id' not specified");
  const net = cloud.networks.find((n) => n.id === networkId);
  if (!net || !net.external) throw new NeutronError(404, 'ExternalNetworkNotFound', `External network ${networkId} could not be found.`);
  const projectId = ctx.caller.isAdmin && typeof spec.project_id === 'string' ? spec.project_id : ctx.caller.projectId;
  const used = cloud.floatingIps.filter((f) => f.projectId === projectId).length;
  if (used >= FLOATING_IP_QUOTA) throw new NeutronError(409, 'OverQuota', "Quota exceeded for resources: ['floatingip'].");
  const taken = new Set<string>();
  for (const f of cloud.floatingIps) if (f.floatingNetworkId === net.id) taken.add(f.address);
  for (const p of cloud.ports) if (p.networkId === net.id) for (const ip of p.fixedIps) taken.add(ip.ipAddress);
  const [a, b] = net.cidr.split('.');
  let address = '';
  for (let n = 2; ; n++) {
    address = `${a}.${b}.${Math.floor(n / 250)}.${(n % 250) + 2}`;
    if (!taken.has(address)) break;
  }
  const fip: FloatingIp = {
    id: randomUUID(),
    projectId,
    floatingNetworkId: net.id,
    address,
    fixedIpAddress: null,
    portId: null,
    routerId: null,
    status: 'DOWN',
    createdAt: new Date(),
  };
  if (typeof spec.description === 'string') fipDescriptions.set(fip, spec.description);
  if (spec.port_id !== undefined && spec.port_id !== null) associate(ctx, fip, spec.port_id);
  cloud.floatingIps.push(fip);
  notifyFloatingIp(cloud, fip, 'floatingip.create.end');
  return reply(201, { floatingip: FLOATING_IPS.serialize(fip, ctx) });
}

export function updateFloatingIp(req: EmulatorRequest, ctx: NeutronContext): EmulatorReply {
  const spec = bodyOf(req);
  const fip = visibleFip(ctx, req.params.id);
  if ('port_id' in spec) associate(ctx, fip, spec.port_id);
  if (typeof spec.description === 'string') fipDescriptions.set(fip, spec.description);
  notifyFloatingIp(ctx.cloud, fip, 'floatingip.update.end');
  return reply(200, { floatingip: FLOATING_IPS.serialize(fip, ctx) });
}

export function deleteFloatingIp(req: EmulatorRequest, ctx: NeutronContext): EmulatorReply {
  const fip = visibleFip(ctx, req.params.id);
  // In place: every emulator holds the same array.
  ctx.cloud.floatingIps.splice(ctx.cloud.floatingIps.indexOf(fip), 1);
  notifyFloatingIp(ctx.cloud, fip, 'floatingip.delete.end');
  return reply(204);
}
