// Glance's per-request loader: images by id in `id=in:` chunks under the URL budget, in parallel. Hidden
// (os_hidden) images never appear in lists, so the few ids a list did not return are fetched one by one.
import type { Image } from '../../core/domain.ts';
import { mapLimit } from '../../core/collections.ts';
import { chunkByUrlBytes } from '../http/pagination.ts';
import { perChunk } from '../planner/per-chunk.ts';
import type { RequestState } from '../planner/request-state.ts';
import type { GlanceSource, ImagePageQuery } from './source.ts';

export function glanceLoaders(glance: GlanceSource, s: RequestState) {
  const { concurrency, maxUrlBytes } = s.batching;
  const image = s.loader<string, Image | null>('image', async (ids) => {
    const chunks = chunkByUrlBytes([...ids], await glance.urlPrefixBytes(), (id) => encodeURIComponent(id).length + 1, maxUrlBytes);
    const results = await perChunk(
      ids,
      chunks,
      async (c) => new Map((await glance.imagesByIds(c)).map((i) => [i.id, i] as const)),
      null as Image | null,
    );
    const missing = ids.filter((_, i) => results[i] === null);
    if (missing.length > 0) {
      const single = await mapLimit(missing, concurrency, (id) => glance.getImage(id).catch((e: Error) => e));
      missing.forEach((id, i) => (results[ids.indexOf(id)] = single[i]));
    }
    return results;
  });
  /**
   * One page of the caller's image list (`images`); its images also answer later lookups by id. Fetched once per
   * request per query (aliases of the same images(...) page share one Glance call), keyed by its filters in order.
   */
  const imagePage = (q: ImagePageQuery) => {
    const filters = Object.entries(q.filters)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return s.once(`glance:page:${JSON.stringify([filters, q.limit, q.marker ?? null, q.sort ?? null])}`, async () => {
      const page = await glance.imagePage(q);
      for (const i of page) image.prime(i.id, i);
      return page;
    });
  };
  return { image, imagePage };
}
