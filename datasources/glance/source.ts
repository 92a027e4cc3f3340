// Glance (image v2) calls. https://docs.openstack.org/api-ref/image/v2/
// Many ids in one call with `id=in:a,b,c`; the default listing hides community images, so lookups ask
// `visibility=all`; `next` is relative to the endpoint root and may lead to a last, empty page. The API base
// (`<root>/v2`) comes from Glance's version document (openstack-source.ts api()), not from the catalog URL.
import { OpenStackSource } from '../openstack-source.ts';
import { garbled } from '../http/status-error.ts';
import type { Image } from '../../core/domain.ts';
import { toImage } from './map.ts';

export const GLANCE_PAGE_LIMIT = 1000;

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

  /** GET /v2/images/{id}: one image, or null when Glance does not know it. */
  async getImage(id: string): Promise<Image | null> {
    const api = await this.api('glance');
    const res = await this.getOne(api, `${api.base}/images/${encodeURIComponent(id)}`);
    return res.status === 404 ? null : toImage(res.body);
  }
}
