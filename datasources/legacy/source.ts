// The legacy region controller's calls: zones, hosts (the CMDB), storage pools and legacy disks. Every reply is
// HTTP 200 `{"ret", "msg", "data"}` — errors included — unless the web server in front fails (502/504 with an
// HTML body); offset pagination with limit ≤ 100 and `{items, total}` (so pages after the first are fetched in
// parallel); `ids=` and `instance_uuids=` lists of at most 50. The gateway
// holds the service key, so the gateway, not this service, decides who sees what.
import type { UpstreamClient } from '../http/client.ts';
import type { Disk, Host, Zone } from '../../core/domain.ts';
import { MosaicError } from '../../core/errors.ts';
import { collectOffsetPages } from '../http/pagination.ts';
import { toHost, toLegacyDisk, toStoragePool, toZone, type StoragePool } from './map.ts';

export const LEGACY_PAGE_LIMIT = 100;
export const LEGACY_MAX_IDS = 50;
/** Host pages of one zone fetched at once (pages of 100 hosts are small: no process-wide gate). */
export const LEGACY_PAGES_IN_FLIGHT = 8;

export class RegionControllerSource {
  constructor(
    private readonly upstream: UpstreamClient,
    private readonly baseUrl: string,
    private readonly apiKey: string,
  ) {}

  /** GETs a path and unwraps the envelope; `null` for 404001 when `allowMissing`. */
  private async call(path: string, allowMissing = false): Promise<any> {
    const res = await this.upstream.get('legacy', `${this.baseUrl}${path}`, { 'x-api-key': this.apiKey });
    const body = res.body;
    if (!body || typeof body !== 'object' || typeof body.ret !== 'number') {
      throw new MosaicError('MOSAIC_ERR_UPSTREAM_GARBLED', 'legacy answered without its {ret,msg,data} envelope', {
        service: 'legacy',
        status: res.status,
      });
    }
    if (body.ret === 0) return body.data;
    if (body.ret === 404001 && allowMissing) return null;
    const info = { service: 'legacy', status: body.ret };
    if (body.ret === 404001) throw new MosaicError('MOSAIC_ERR_NOT_FOUND', `legacy: ${body.msg}`, info);
    throw new MosaicError('MOSAIC_ERR_UPSTREAM_STATUS', `legacy answered ret ${body.ret}: ${body.msg}`, info);
  }

  async zones(): Promise<Zone[]> {
    return ((await this.call('/zones')).items as any[]).map(toZone);
  }

  /**
   * Every host of a zone: the first offset page of 100 reports `total`, the other pages are then fetched at once
   * (http/pagination.ts collectOffsetPages), in offset order. A zone that is gone (404001) has no hosts.
   */
  async hostsOfZone(zoneId: number): Promise<Host[]> {
    const page = async (offset: number) => {
      const data = await this.call(`/zones/${zoneId}/hosts?offset=${offset}&limit=${LEGACY_PAGE_LIMIT}`, true);
      if (!data) return { items: [], total: 0 };
      return { items: (data.items as any[]).map(toHost), total: typeof data.total === 'number' ? data.total : undefined };
    };
    const hosts = await collectOffsetPages(page, LEGACY_PAGE_LIMIT, LEGACY_PAGES_IN_FLIGHT, (h) => h.id);
    if (hosts) return hosts;
    // A page without its total: follow the pages one by one until a short one.
    const all: Host[] = [];
    for (let offset = 0; ; offset += LEGACY_PAGE_LIMIT) {
      const { items } = await page(offset);
      all.push(...items);
      if (items.length < LEGACY_PAGE_LIMIT) return all;
    }
  }

  /** Hosts by id, at most 50 per call (the caller chunks). */
  async hostsByIds(ids: number[]): Promise<Host[]> {
    return ((await this.call(`/hosts?ids=${ids.join(',')}`)).items as any[]).map(toHost);
  }

  /** Legacy disks attached to these instances, at most 50 uuids per call (the caller chunks). */
  async disksByInstances(uuids: string[]): Promise<Disk[]> {
    return ((await this.call(`/disks?instance_uuids=${uuids.map(encodeURIComponent).join(',')}`)).items as any[]).map((d) => toLegacyDisk(d));
  }

  async disk(id: number): Promise<Disk | null> {
    const data = await this.call(`/disks/${id}`, true);
    return data ? toLegacyDisk(data) : null;
  }

  async storages(): Promise<StoragePool[]> {
    return ((await this.call('/storages')).items as any[]).map(toStoragePool);
  }
}
