// Nova (compute v2.1): servers, flavors, hypervisors. https://docs.openstack.org/api-ref/compute/
// Facts handled here:
//  - We ask for microversion 2.79: from 2.47 a server embeds its flavor and carries no flavor id
//    (https://docs.openstack.org/nova/latest/reference/api-microversion-history.html#id43). An older Nova that
//    answers with {id, links} still works: the flavor is then looked up by id.
//  - `host`, `node`, `uuid` and `project_id` filters are admin-only and silently ignored for others, and
//    `all_tenants` from a member is a 403 — so those are sent only for admin callers.
//  - Pages are capped at 1000 (osapi_max_limit); servers_links has rel=next only when a page is full.
//  - `image` is "" for a server booted from a volume.
import { OpenStackSource } from './openstack-source.ts';
import { garbled, type UpstreamClient } from './http.ts';
import type { Flavor, Instance } from './domain.ts';
import { parseOpenStackTime } from './domain.ts';
import { collectMarkerPages, hasNextLink, queryString, withQuery } from './paginate.ts';

export const NOVA_MICROVERSION = '2.79';
export const NOVA_PAGE_LIMIT = 1000;

export function toFlavor(f: any): Flavor | { id: string } {
  if (f && typeof f.original_name === 'string') {
    return {
      id: null, name: f.original_name, vcpus: f.vcpus, ramMb: f.ram, diskGb: f.disk, ephemeralGb: f.ephemeral ?? 0,
      swapMb: typeof f.swap === 'number' ? f.swap : 0, extraSpecs: f.extra_specs ?? {},
    };
  }
  return { id: String(f?.id ?? '') };
}

export function toFlavorRecord(f: any): Flavor {
  return {
    id: String(f.id), name: f.name, vcpus: f.vcpus, ramMb: f.ram, diskGb: f.disk,
    ephemeralGb: f['OS-FLV-EXT-DATA:ephemeral'] ?? 0, swapMb: typeof f.swap === 'number' ? f.swap : 0, extraSpecs: f.extra_specs ?? {},
  };
}

export function toInstance(s: any): Instance {
  return {
    id: s.id,
    name: s.name,
    status: s.status,
    projectId: s.tenant_id,
    userId: s.user_id,
    zoneName: s['OS-EXT-AZ:availability_zone'] || null,
    hostname: s['OS-EXT-SRV-ATTR:host'] ?? null,
    flavor: toFlavor(s.flavor),
    imageId: s.image && typeof s.image === 'object' && s.image.id ? s.image.id : null,
    volumeIds: (s['os-extended-volumes:volumes_attached'] ?? []).map((v: { id: string }) => v.id),
    floatingAddresses: Object.values((s.addresses ?? {}) as Record<string, any[]>)
      .flat()
      .filter((a) => a?.['OS-EXT-IPS:type'] === 'floating')
      .map((a) => a.addr as string),
    keyName: s.key_name ?? null,
    metadata: s.metadata ?? {},
    powerState: s['OS-EXT-STS:power_state'] ?? null,
    taskState: s['OS-EXT-STS:task_state'] ?? null,
    createdAt: parseOpenStackTime(s.created)!,
    updatedAt: parseOpenStackTime(s.updated),
    launchedAt: parseOpenStackTime(s['OS-SRV-USG:launched_at']),
  };
}

export type ServerFilters = Record<string, string | string[] | undefined>;

export class NovaSource extends OpenStackSource {
  protected override get headers() {
    return { 'x-auth-token': this.caller.token, 'openstack-api-version': `compute ${NOVA_MICROVERSION}` };
  }

  /**
   * Every server matching the filters, pages followed to the end. Admin-only filters are dropped for members
   * (Nova would ignore them anyway, and `all_tenants` would be a 403).
   */
  async listServers(filters: ServerFilters = {}): Promise<Instance[]> {
    const params: ServerFilters = { ...filters };
    if (!this.caller.isAdmin) for (const k of ['all_tenants', 'host', 'node', 'uuid', 'project_id']) delete params[k];
    const base = `${this.baseUrl}/servers/detail`;
    const raw = await collectMarkerPages<any>(async (marker) => {
      const url = withQuery(base, queryString({ ...params, limit: NOVA_PAGE_LIMIT, marker }));
      const res = await this.upstream.get('nova', url, this.headers);
      const servers = res.body?.servers;
      if (!Array.isArray(servers)) throw garbled('nova', 'servers/detail without servers');
      return { items: servers, hasNext: hasNextLink(res.body.servers_links) };
    });
    return raw.map(toInstance);
  }

  /** One server, or null when Nova does not know it (or the caller may not see it). */
  async getServer(id: string): Promise<Instance | null> {
    const res = await this.upstream.get('nova', `${this.baseUrl}/servers/${encodeURIComponent(id)}`, this.headers, [404]);
    if (res.status === 404) return null;
    return toInstance(res.body.server);
  }

  async flavors(): Promise<Flavor[]> {
    const res = await this.upstream.get('nova', `${this.baseUrl}/flavors/detail`, this.headers);
    return (res.body?.flavors ?? []).map(toFlavorRecord);
  }

  /** os-hypervisors/detail (admin only): capacity and usage per compute node. */
  async hypervisors(): Promise<any[]> {
    const base = `${this.baseUrl}/os-hypervisors/detail`;
    return collectMarkerPages<any>(async (marker) => {
      const res = await this.upstream.get('nova', withQuery(base, queryString({ limit: NOVA_PAGE_LIMIT, marker })), this.headers);
      return { items: res.body?.hypervisors ?? [], hasNext: hasNextLink(res.body?.hypervisors_links) };
    });
  }
}
