// The region controller's writes, for operations (datasources/operations/): `DELETE /zones/{zone}/hosts/{host}`
// (ret 409001 while instances remain) and `POST /storages/{storage}/disks`, both answered synchronously in the
// `{ret, msg, data}` envelope (DESIGN.md "The legacy region controller"), and PUT …/hosts/{host}/maintenance.
// Writes are never retried (http/retry-policy.ts). Each carries `X-Request-Id`: the operation's id. The controller
// carries a write out once per id and answers `GET /requests/{id}` with what it did: how a lost answer is resolved.
import type { UpstreamClient } from '../http/client.ts';
import type { Disk, Host } from '../../core/domain.ts';
import { MosaicError } from '../../core/errors.ts';
import { toHost, toLegacyDisk } from './map.ts';

/** ret codes (DESIGN.md): 400001 bad parameter, 401001 bad key, 404001 not found, 409001 conflict, 500001 internal. */
function unwrap(body: any, status: number): any {
  if (!body || typeof body !== 'object' || typeof body.ret !== 'number') {
    throw new MosaicError('MOSAIC_ERR_UPSTREAM_GARBLED', 'legacy answered without its {ret,msg,data} envelope', { service: 'legacy', status });
  }
  if (body.ret === 0) return body.data;
  const info = { service: 'legacy', status: body.ret };
  const msg = `legacy: ${body.msg}`;
  if (body.ret === 404001) throw new MosaicError('MOSAIC_ERR_NOT_FOUND', msg, info);
  if (body.ret === 409001) throw new MosaicError('MOSAIC_ERR_CONFLICT', msg, info);
  if (body.ret === 400001) throw new MosaicError('MOSAIC_ERR_BAD_ARGUMENT', msg, info);
  throw new MosaicError('MOSAIC_ERR_UPSTREAM_STATUS', `legacy answered ret ${body.ret}: ${body.msg}`, info);
}

export class RegionControllerActions {
  constructor(
    private readonly upstream: UpstreamClient,
    private readonly baseUrl: string,
    private readonly apiKey: string,
  ) {}

  private async send(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, requestId: string, json?: unknown): Promise<any> {
    const res = await this.upstream.request('legacy', {
      method,
      url: `${this.baseUrl}${path}`,
      headers: { 'x-api-key': this.apiKey, 'x-request-id': requestId },
      json,
    });
    return unwrap(res.body, res.status);
  }

  async deleteHost(zoneId: number, hostId: number, requestId: string): Promise<void> {
    await this.send('DELETE', `/zones/${zoneId}/hosts/${hostId}`, requestId);
  }

  /** PUT /zones/{zone}/hosts/{host}/maintenance: status MAINTENANCE (enabled) or ONLINE again; 409001 for an offline host. */
  async setMaintenance(zoneId: number, hostId: number, enabled: boolean, requestId: string): Promise<Host> {
    return toHost(await this.send('PUT', `/zones/${zoneId}/hosts/${hostId}/maintenance`, requestId, { enabled }));
  }

  /**
   * What the controller did with the write sent under `requestId` (GET /requests/{id}): null when it never saw it
   * (404001; it may still be on its way), 'unsupported' for a controller without the log (nginx's 404), else its answer — `ret` 0 with `data` when it was carried out, or the
   * refusal as the MosaicError the write itself would have thrown.
   */
  async requestOutcome(requestId: string): Promise<{ data: any } | { error: MosaicError } | 'unsupported' | null> {
    let found: any;
    try {
      found = await this.send('GET', `/requests/${encodeURIComponent(requestId)}`, requestId);
    } catch (err) {
      if (!(err instanceof MosaicError) || err.errorName !== 'MOSAIC_ERR_NOT_FOUND') throw err;
      // nginx's HTTP 404 page: a controller without the request log (the caller falls back to the resource's state).
      return err.upstream?.status === 404 ? 'unsupported' : null;
    }
    if (!found || typeof found !== 'object' || typeof found.ret !== 'number') {
      throw new MosaicError('MOSAIC_ERR_UPSTREAM_GARBLED', 'legacy answered a request lookup without its ret', { service: 'legacy', status: 200 });
    }
    if (found.ret === 0) return { data: found.data };
    try {
      unwrap({ ret: found.ret, msg: found.msg, data: null }, 200);
    } catch (err) {
      if (err instanceof MosaicError) return { error: err };
      throw err;
    }
    return null;
  }

  /** The host, or null once it is gone (404001). */
  async host(zoneId: number, hostId: number, requestId: string): Promise<Host | null> {
    try {
      return toHost(await this.send('GET', `/zones/${zoneId}/hosts/${hostId}`, requestId));
    } catch (err) {
      if (err instanceof MosaicError && err.errorName === 'MOSAIC_ERR_NOT_FOUND') return null;
      throw err;
    }
  }

  async createDisk(
    storageId: number,
    disk: { name: string; size_gb: number; disk_type: string; instance_uuid?: string },
    requestId: string,
  ): Promise<Disk> {
    return toLegacyDisk(await this.send('POST', `/storages/${storageId}/disks`, requestId, disk));
  }

  /** Every disk of a storage pool named `name` (offset pages of 100), for finding out whether a lost create happened. */
  async disksNamed(storageId: number, name: string, requestId: string): Promise<Disk[]> {
    const found: Disk[] = [];
    for (let offset = 0; ; offset += 100) {
      const data = await this.send('GET', `/storages/${storageId}/disks?offset=${offset}&limit=100`, requestId);
      for (const d of data.items as any[]) if (d.name === name) found.push(toLegacyDisk(d));
      if (data.items.length < 100 || offset + 100 >= data.total) return found;
    }
  }
}
