// Glance (image v2) calls. https://docs.openstack.org/api-ref/image/v2/
// Many ids in one call with `id=in:a,b,c`; the default listing hides community images, so lookups ask
// `visibility=all`; `next` is relative to the endpoint root and may lead to a last, empty page. The API base
// (`<root>/v2`) comes from Glance's version document (openstack-source.ts api()), not from the catalog URL.
import { OpenStackSource } from '../openstack-source.ts';
import { garbled } from '../http/status-error.ts';
import { queryString, withQuery } from '../http/pagination.ts';
import { MosaicError } from '../../core/errors.ts';
import type { Image } from '../../core/domain.ts';
import { toImage } from './map.ts';

export const GLANCE_PAGE_LIMIT = 1000;

/** One page of `GET /v2/images` as Glance filters, sorts and pages it (https://docs.openstack.org/api-ref/image/v2/#list-images). */
export interface ImagePageQuery {
  /** Glance's own filter parameters (visibility, status, tag, owner, name…), values as Glance takes them. */
  filters: Record<string, string | string[] | undefined>;
  limit: number;
  marker?: string;
  /** `sort=key:dir,…`. */
  sort?: string;
}

export class GlanceSource extends OpenStackSource {
  /** Bytes of the list URL before the ids, for sizing chunks. */
  async urlPrefixBytes(): Promise<number> {
    return `${(await this.api('glance')).base}/images?visibility=all&limit=${GLANCE_PAGE_LIMIT}&id=in:`.length;
  }

  /** Images by id with `id=in:` (the caller chunks the ids); follows `next` to the end. */
  async imagesByIds(ids: string[]): Promise<Image[]> {
    const api = await this.api('glance');
    let url: string | null = `${api.base}/images?visibility=all&limit=${GLANCE_PAGE_LIMIT}&id=in:${ids.map(encodeURIComponent).join(',')}`;
    const images: Image[] = [];
    while (url) {
      const res: { body: any } = await this.getList(api, url);
      const page: any[] = res.body?.images;
      if (!Array.isArray(page)) throw garbled('glance', 'images list without images');
      images.push(...page.map(toImage));
      const next: unknown = res.body.next;
      url = typeof next === 'string' && page.length > 0 ? `${api.root}${next.startsWith('/') ? '' : '/'}${next}` : null;
    }
    return images;
  }

  /**
   * One page of the caller's image list, exactly as Glance filters it for the caller's token (public, shared,
   * community and its own images are Glance's decision). A marker Glance does not know (deleted, or not visible
   * to this caller) is a 400/403 from Glance: the client's stale cursor, not an upstream failure.
   */
  async imagePage(q: ImagePageQuery): Promise<Image[]> {
    const api = await this.api('glance');
    const url = withQuery(`${api.base}/images`, queryString({ ...q.filters, sort: q.sort, limit: q.limit, marker: q.marker }));
    let res: { body: any };
    try {
      res = await this.getList(api, url);
    } catch (err) {
      const status = err instanceof MosaicError ? err.upstream?.status : undefined;
      if (q.marker && (status === 400 || status === 403)) {
        throw new MosaicError('MOSAIC_ERR_BAD_CURSOR', 'The cursor names an image Glance no longer lists.', undefined, { cause: err });
      }
      throw err;
    }
    const page: unknown = res.body?.images;
    if (!Array.isArray(page)) throw garbled('glance', 'images list without images');
    return page.map(toImage);
  }

  /** GET /v2/images/{id}: one image, or null when Glance does not know it. */
  async getImage(id: string): Promise<Image | null> {
    const api = await this.api('glance');
    const res = await this.getOne(api, `${api.base}/images/${encodeURIComponent(id)}`);
    return res.status === 404 ? null : toImage(res.body);
  }
}
