// Glance v2 image JSON and visibility rules, as glance/api/v2/images.py (ResponseSerializer._format_image)
// and glance/db/sqlalchemy/api.py (is_image_visible, _select_images_query) implement them:
// https://docs.openstack.org/api-ref/image/v2/#show-image
//
// Image sharing: the seed models no member lists, so an image with visibility `shared` counts as shared
// with every project, membership accepted. Everything else follows Glance: public and community images
// are visible to all, private ones to their owner, and admins see every image.
import { createHash } from 'node:crypto';
import type { Caller } from '../emulator/openstack-auth.ts';
import type { Image } from '../seed/types.ts';

/** Glance's timeutils.isotime: whole seconds, `Z`. */
export const glanceTime = (date: Date): string => date.toISOString().slice(0, 19) + 'Z';

const hashCache = new WeakMap<Image, string>();
/** os_hash_value: sha512 of the image data; the seed has no data, so derive it from the id and checksum. */
function osHashValue(image: Image): string {
  let value = hashCache.get(image);
  if (!value) {
    value = createHash('sha512').update(`${image.id}:${image.checksum}`).digest('hex');
    hashCache.set(image, value);
  }
  return value;
}

/** The image body, keys in the order of the API reference sample (image-show-response.json). */
export function imageBody(image: Image): Record<string, unknown> {
  const hasData = image.status !== 'queued';
  return {
    status: image.status,
    name: image.name,
    tags: [...image.tags],
    container_format: image.containerFormat,
    created_at: glanceTime(image.createdAt),
    disk_format: image.diskFormat,
    updated_at: glanceTime(image.updatedAt),
    visibility: image.visibility,
    self: `/v2/images/${image.id}`,
    min_disk: image.minDisk,
    protected: false,
    id: image.id,
    file: `/v2/images/${image.id}/file`,
    checksum: hasData ? image.checksum : null,
    os_hash_algo: hasData ? 'sha512' : null,
    os_hash_value: hasData ? osHashValue(image) : null,
    os_hidden: image.hidden,
    owner: image.owner,
    size: hasData ? image.size : null,
    min_ram: image.minRam,
    schema: '/v2/schemas/image',
    virtual_size: null,
  };
}

/** Shared images are shared with every project (accepted), as the seed has no member lists. */
const isMember = (image: Image, caller: Caller) => image.visibility === 'shared' && image.owner !== caller.projectId;

/** is_image_visible: may this caller see (GET) the image at all? */
export function imageVisible(image: Image, caller: Caller): boolean {
  if (caller.isAdmin) return true;
  if (image.visibility === 'public' || image.visibility === 'community') return true;
  if (image.owner === caller.projectId) return true;
  return isMember(image, caller);
}

/**
 * Whether an image belongs in a listing with the given `visibility` filter (undefined = the default
 * listing) and member_status, before the other filters: _select_images_query plus image_get_all.
 */
export function imageListed(image: Image, caller: Caller, visibility: string | undefined, memberStatus: string): boolean {
  let inScope: boolean;
  if (caller.isAdmin) inScope = true;
  else {
    inScope =
      image.visibility === 'public' ||
      image.visibility === 'community' ||
      image.owner === caller.projectId ||
      (isMember(image, caller) && (memberStatus === 'accepted' || memberStatus === 'all'));
  }
  if (!inScope) return false;
  if (visibility === undefined) return image.owner === caller.projectId || image.visibility !== 'community';
  return visibility === 'all' || image.visibility === visibility;
}
