// Neutron floating-IP writes, for operations (datasources/operations/): allocate, associate with an instance's
// port, disassociate, release — plus the reads that tell an operation where it stands.
// https://docs.openstack.org/api-ref/network/v2/#floating-ips-floatingips
//  - Neutron answers these synchronously (201 / 200 / 204) with the final state, so an accepted write is done.
//  - Writes are never retried (http/retry-policy.ts). An allocated floating IP carries the operation's idempotency
//    key in its `description`, which the list filters on: how a create whose answer was lost is found again.
//  - An instance's port is `GET /v2.0/ports?device_id=<server uuid>`: Nova binds the instance's ports to it.
//  - Members see only their project's floating IPs and ports (404 for the rest), so the tracker polls with a token
//    of the operation's project or an administrator's.
import { MosaicError } from '../../core/errors.ts';
import type { FloatingIp, Port } from '../../core/domain.ts';
import { OpenStackSource } from '../openstack-source.ts';
import { garbled } from '../http/status-error.ts';
import { queryString, withQuery } from '../http/pagination.ts';
import { toFloatingIp, toPort } from './map.ts';

export class NeutronActions extends OpenStackSource {
  /** POST /v2.0/floatingips on the external network `networkId` (the first external network the caller sees when null). */
  async allocateFloatingIp(networkId: string | null, description: string): Promise<FloatingIp> {
    const { base, headers } = await this.target('neutron');
    const floating_network_id = networkId ?? (await this.externalNetwork());
    const res = await this.upstream.request('neutron', {
      method: 'POST',
      url: `${base}/floatingips`,
      headers,
      json: { floatingip: { floating_network_id, description } },
    });
    if (typeof res.body?.floatingip?.id !== 'string') throw garbled('neutron', 'create floating IP without floatingip.id');
    return toFloatingIp(res.body.floatingip);
  }

  /** PUT /v2.0/floatingips/{id} with `port_id` (null disassociates). */
  async setFloatingIpPort(id: string, portId: string | null): Promise<FloatingIp> {
    const { base, headers } = await this.target('neutron');
    const res = await this.upstream.request('neutron', {
      method: 'PUT',
      url: `${base}/floatingips/${encodeURIComponent(id)}`,
      headers,
      json: { floatingip: { port_id: portId } },
    });
    if (typeof res.body?.floatingip?.id !== 'string') throw garbled('neutron', 'update floating IP without floatingip.id');
    return toFloatingIp(res.body.floatingip);
  }

  /** DELETE /v2.0/floatingips/{id} (204). */
  async releaseFloatingIp(id: string): Promise<void> {
    const { base, headers } = await this.target('neutron');
    await this.upstream.request('neutron', { method: 'DELETE', url: `${base}/floatingips/${encodeURIComponent(id)}`, headers });
  }

  /** GET /v2.0/floatingips/{id}, or null when Neutron does not know it (or the caller may not see it). */
  async floatingIp(id: string): Promise<FloatingIp | null> {
    const { base, headers } = await this.target('neutron');
    const res = await this.upstream.get('neutron', `${base}/floatingips/${encodeURIComponent(id)}`, headers, [404]);
    return res.status === 404 ? null : toFloatingIp(res.body.floatingip);
  }

  /** Floating IPs whose description is exactly `description` (the idempotency key of a lost allocation). */
  async floatingIpsDescribed(description: string): Promise<FloatingIp[]> {
    const { base, headers } = await this.target('neutron');
    const res = await this.upstream.get('neutron', withQuery(`${base}/floatingips`, queryString({ description })), headers);
    if (!Array.isArray(res.body?.floatingips)) throw garbled('neutron', 'floatingips list without floatingips');
    return (res.body.floatingips as any[]).map(toFloatingIp);
  }

  /** The instance's ports (`device_id` = the server's UUID), in Neutron's order. */
  async portsOf(instanceId: string): Promise<Port[]> {
    const { base, headers } = await this.target('neutron');
    const res = await this.upstream.get('neutron', withQuery(`${base}/ports`, queryString({ device_id: instanceId })), headers);
    if (!Array.isArray(res.body?.ports)) throw garbled('neutron', 'ports list without ports');
    return (res.body.ports as any[]).map(toPort);
  }

  /** GET /v2.0/ports/{id}, or null. */
  async port(id: string): Promise<Port | null> {
    const { base, headers } = await this.target('neutron');
    const res = await this.upstream.get('neutron', `${base}/ports/${encodeURIComponent(id)}`, headers, [404]);
    return res.status === 404 ? null : toPort(res.body.port);
  }

  /** The first external network (`router:external=true`) the caller sees: where floating IPs come from by default. */
  private async externalNetwork(): Promise<string> {
    const { base, headers } = await this.target('neutron');
    const res = await this.upstream.get('neutron', withQuery(`${base}/networks`, queryString({ 'router:external': 'true', fields: 'id' })), headers);
    const id = (res.body?.networks as { id?: unknown }[] | undefined)?.find((n) => typeof n.id === 'string')?.id;
    if (typeof id !== 'string')
      throw new MosaicError('MOSAIC_ERR_BAD_ARGUMENT', 'Neutron has no external network to allocate a floating IP from; give networkId');
    return id;
  }
}
