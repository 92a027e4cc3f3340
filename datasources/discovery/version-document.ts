// OpenStack version documents, read as the services publish them at their endpoint roots:
//   Nova     GET /        200 {"versions": [{id: "v2.0", version: ""}, {id: "v2.1", version: "2.96", min_version: "2.1", links}]}
//            GET /v2.1/   200 {"version": {…}}   https://docs.openstack.org/api-ref/compute/#list-all-major-versions
//   Cinder   GET /        300 {"versions": [{id: "v3.0", version: "3.70", min_version: "3.0", links}]}
//            https://docs.openstack.org/api-ref/block-storage/v3/#api-versions
//   Glance   GET /versions 200 {"versions": [{id: "v2.16", status: "CURRENT", links}, …, {id: "v2.0"}]}
//            https://docs.openstack.org/api-ref/image/v2/#versions
//   Neutron  GET /        200 {"versions": [{id: "v2.0", status: "CURRENT", links}]}
//   Placement GET /       200 {"versions": [{id: "v1.0", max_version: "1.39", min_version: "1.0", links: [{rel: "self", href: ""}]}]}
//            (its range is `max_version`, not `version`; the API is at the root: the self link is empty)
//            https://docs.openstack.org/api-ref/placement/#list-versions
// and what Mosaic speaks of each: one major API per service, with the microversion range it was built and
// tested against (https://docs.openstack.org/api-guide/compute/microversions.html). Pure functions of the body.
import type { CatalogService } from '../../core/services.ts';

export interface Microversion {
  major: number;
  minor: number;
}

/** One entry of a version document. */
export interface ApiVersionEntry {
  /** `v2.1`, `v3.0`, `v2.16`, `v2.0`. */
  id: string;
  status: string;
  /** The microversion range, or null for an API without microversions (`version: ""`, or absent). */
  min: Microversion | null;
  max: Microversion | null;
  /** The `rel: self` link: where this API version lives. */
  self: string | null;
}

export interface SpokenApi {
  /** The version ids Mosaic accepts for this service. */
  ids: RegExp;
  /** Human name for messages: `v2.1`, `v3`. */
  name: string;
  /** Where the version document is: `/` of the root for most, `/versions` for Glance. */
  documentPath: string;
  /** For microversioned APIs: the `OpenStack-API-Version` service name and the range Mosaic speaks. */
  microversions?: { header: string; min: Microversion; max: Microversion };
  /** The API is at the endpoint root, with no version segment (Placement): the base is the root itself. */
  atRoot?: boolean;
}

/**
 * What Mosaic speaks. Nova: v2.1 with 2.1–2.96 (below 2.47 flavors are looked up by id, below 2.53 hypervisor ids
 * are integers, from 2.88 os-hypervisors has no capacity and usage fields and they come from Placement; nothing
 * else Mosaic reads changes between 2.79 and 2.96: 2.89 reshapes GET os-volume_attachments, which Mosaic does not
 * read, 2.90/2.94 add a hostname Mosaic does not read, 2.96 pinned_availability_zone likewise —
 * https://docs.openstack.org/nova/latest/reference/api-microversion-history.html). Cinder: v3 with 3.0–3.70
 * (nothing Mosaic reads changes across 3.x). Glance v2 and Neutron v2.0 have no microversions Mosaic needs.
 * Placement: 1.0–1.39 (provider inventories and usages read the same across them).
 */
export const SPOKEN: Record<CatalogService, SpokenApi> = {
  nova: {
    ids: /^v2\.1$/,
    name: 'v2.1',
    documentPath: '/',
    microversions: { header: 'compute', min: { major: 2, minor: 1 }, max: { major: 2, minor: 96 } },
  },
  cinder: {
    ids: /^v3(\.\d+)?$/,
    name: 'v3',
    documentPath: '/',
    microversions: { header: 'volume', min: { major: 3, minor: 0 }, max: { major: 3, minor: 70 } },
  },
  glance: { ids: /^v2(\.\d+)?$/, name: 'v2', documentPath: '/versions' },
  neutron: { ids: /^v2\.0$/, name: 'v2.0', documentPath: '/' },
  placement: {
    ids: /^v1\.0$/,
    name: 'v1.0',
    documentPath: '/',
    microversions: { header: 'placement', min: { major: 1, minor: 0 }, max: { major: 1, minor: 39 } },
    atRoot: true,
  },
};

const VERSION_RE = /^(\d+)\.(\d+)$/;

/** `2.79` → {2, 79}; anything else (``, undefined, `latest`) → null. */
export function parseMicroversion(text: unknown): Microversion | null {
  if (typeof text !== 'string') return null;
  const m = VERSION_RE.exec(text.trim());
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : null;
}

export const formatMicroversion = (v: Microversion): string => `${v.major}.${v.minor}`;

export const compareMicroversions = (a: Microversion, b: Microversion): number => a.major - b.major || a.minor - b.minor;

/** The entries of a version document (`{versions: [...]}`, `{versions: {values: [...]}}` or `{version: {...}}`); [] when it is none. */
export function parseVersionDocument(body: unknown): ApiVersionEntry[] {
  if (!body || typeof body !== 'object') return [];
  const b = body as Record<string, any>;
  const raw: unknown[] = Array.isArray(b.versions)
    ? b.versions
    : Array.isArray(b.versions?.values)
      ? b.versions.values
      : b.version && typeof b.version === 'object'
        ? [b.version]
        : [];
  const entries: ApiVersionEntry[] = [];
  for (const v of raw) {
    if (!v || typeof v !== 'object') continue;
    const e = v as Record<string, any>;
    if (typeof e.id !== 'string') continue;
    const links: any[] = Array.isArray(e.links) ? e.links : [];
    const self = links.find((l) => l && l.rel === 'self' && typeof l.href === 'string');
    // Placement spells the range max_version/min_version (Nova and Cinder: version/min_version).
    const max = parseMicroversion(e.version) ?? parseMicroversion(e.max_version);
    entries.push({
      id: e.id,
      status: typeof e.status === 'string' ? e.status : '',
      min: max ? (parseMicroversion(e.min_version) ?? max) : null,
      max,
      self: self ? self.href : null,
    });
  }
  return entries;
}

/** The microversion to send: the highest both sides support, or null when the ranges do not overlap. */
export function negotiateMicroversion(spoken: NonNullable<SpokenApi['microversions']>, entry: ApiVersionEntry): Microversion | null {
  if (!entry.max) return null;
  const high = compareMicroversions(entry.max, spoken.max) < 0 ? entry.max : spoken.max;
  const low = entry.min && compareMicroversions(entry.min, spoken.min) > 0 ? entry.min : spoken.min;
  return compareMicroversions(high, low) >= 0 ? high : null;
}

/** How an entry reads in a message: `v2.1 (2.1–2.46)`, `v2.0`. */
export const describeEntry = (e: ApiVersionEntry): string =>
  e.max ? `${e.id} (${formatMicroversion(e.min ?? e.max)}–${formatMicroversion(e.max)})` : e.id;

/** How what Mosaic speaks reads in a message: `v2.1 with microversions 2.1–2.79`. */
export const describeSpoken = (s: SpokenApi): string =>
  s.microversions ? `${s.name} with microversions ${formatMicroversion(s.microversions.min)}–${formatMicroversion(s.microversions.max)}` : s.name;
