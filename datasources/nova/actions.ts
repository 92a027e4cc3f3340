// Nova writes, for operations (datasources/operations/): create and delete servers, run server actions, attach and
// detach volumes — plus the reads that tell an operation where it stands. https://docs.openstack.org/api-ref/compute/
//  - Writes go through UpstreamClient.request: never retried (http/retry-policy.ts retries GET and HEAD only).
//  - Create answers 202 with the new id; delete 204 and actions 202 start asynchronous work that the server's
//    status, OS-EXT-STS:task_state and `fault` then report (https://docs.openstack.org/api-guide/compute/server_concepts.html).
//  - Members never see another project's server (404), so a lookup with the wrong credentials would look like
//    "gone": the tracker polls with a token of the operation's own project or an administrator's.
import { OpenStackSource } from '../openstack-source.ts';
import { garbled } from '../http/status-error.ts';
import { queryString, withQuery } from '../http/pagination.ts';

/** Where a server stands, as an operation needs it. */
export interface ServerState {
  id: string;
  name: string;
  status: string;
  taskState: string | null;
  projectId: string;
  metadata: Record<string, string>;
  updatedAt: Date | null;
  /** The flavor's id (before microversion 2.47) or null; from 2.47 only its name (`original_name`) is shown. */
  flavorId: string | null;
  flavorName: string | null;
  /** Nova's `fault` of a server in ERROR: code and message (the traceback is for administrators only). */
  fault: { code: number; message: string } | null;
}

export type RebootType = 'SOFT' | 'HARD';

const toState = (s: any): ServerState => ({
  id: s.id,
  name: s.name,
  status: s.status,
  taskState: s['OS-EXT-STS:task_state'] ?? null,
  projectId: s.tenant_id,
  metadata: s.metadata ?? {},
  updatedAt: s.updated ? new Date(s.updated) : null,
  flavorId: typeof s.flavor?.id === 'string' ? s.flavor.id : null,
  flavorName: typeof s.flavor?.original_name === 'string' ? s.flavor.original_name : null,
  fault: s.fault && typeof s.fault.message === 'string' ? { code: Number(s.fault.code) || 500, message: s.fault.message } : null,
});

export class NovaActions extends OpenStackSource {
  /** POST /servers: the new server's id (the build goes on asynchronously). */
  async createServer(server: Record<string, unknown>): Promise<string> {
    const { base, headers } = await this.target('nova');
    const res = await this.upstream.request('nova', { method: 'POST', url: `${base}/servers`, headers, json: { server } });
    const id = res.body?.server?.id;
    if (typeof id !== 'string') throw garbled('nova', 'create server without server.id');
    return id;
  }

  /** DELETE /servers/{id} (204; the server goes on to be deleted asynchronously). */
  async deleteServer(id: string): Promise<void> {
    const { base, headers } = await this.target('nova');
    await this.upstream.request('nova', { method: 'DELETE', url: `${base}/servers/${encodeURIComponent(id)}`, headers });
  }

  /**
   * POST /servers/{id}/action with one action: `{"os-start": null}`, `{"os-stop": null}`, `{"reboot": {"type"}}`,
   * `{"resize": {"flavorRef"}}`, `{"confirmResize": null}`, `{"revertResize": null}`.
   */
  async action(id: string, body: Record<string, unknown>): Promise<void> {
    const { base, headers } = await this.target('nova');
    await this.upstream.request('nova', {
      method: 'POST',
      url: `${base}/servers/${encodeURIComponent(id)}/action`,
      headers,
      json: body,
    });
  }

  /** POST /servers/{id}/os-volume_attachments: the device the volume got. */
  async attachVolume(serverId: string, volumeId: string, device?: string | null): Promise<string | null> {
    const { base, headers } = await this.target('nova');
    const res = await this.upstream.request('nova', {
      method: 'POST',
      url: `${base}/servers/${encodeURIComponent(serverId)}/os-volume_attachments`,
      headers,
      json: { volumeAttachment: { volumeId, ...(device ? { device } : {}) } },
    });
    return res.body?.volumeAttachment?.device ?? null;
  }

  /** DELETE /servers/{id}/os-volume_attachments/{volume_id} (202). */
  async detachVolume(serverId: string, volumeId: string): Promise<void> {
    const { base, headers } = await this.target('nova');
    await this.upstream.request('nova', {
      method: 'DELETE',
      url: `${base}/servers/${encodeURIComponent(serverId)}/os-volume_attachments/${encodeURIComponent(volumeId)}`,
      headers,
    });
  }

  /** GET /servers/{id}: where it stands, or null when Nova does not know it. */
  async serverState(id: string): Promise<ServerState | null> {
    const { base, headers } = await this.target('nova');
    const res = await this.upstream.get('nova', `${base}/servers/${encodeURIComponent(id)}`, headers, [404]);
    if (res.status === 404) return null;
    return toState(res.body.server);
  }

  /**
   * Servers of `projectId` named exactly `name` (Nova's `name` filter is a regular expression), for finding out
   * whether a create whose answer was lost happened: the caller then looks for its idempotency key in their metadata.
   */
  async serversNamed(name: string, projectId: string): Promise<ServerState[]> {
    const { base, headers } = await this.target('nova');
    const pattern = `^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;
    const scope = this.caller.isAdmin && this.caller.projectId !== projectId ? { all_tenants: '1', project_id: projectId } : {};
    const res = await this.upstream.get('nova', withQuery(`${base}/servers/detail`, queryString({ ...scope, name: pattern, limit: 1000 })), headers);
    if (!Array.isArray(res.body?.servers)) throw garbled('nova', 'servers/detail without servers');
    return (res.body.servers as any[]).map(toState).filter((s) => s.projectId === projectId);
  }
}
