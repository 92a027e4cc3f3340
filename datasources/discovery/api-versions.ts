// Which API of a service Mosaic talks to, and at which microversion: chosen from the caller's catalog and the
// service's own version document, never guessed from the URL (issue #10; keystoneauth's discovery does the same:
// https://docs.openstack.org/keystoneauth/latest/using-sessions.html#endpoint-filtering).
//  - Catalog types are tried in the os-service-types alias order of core/services.ts; an endpoint is chosen only
//    when its root's version document offers an API Mosaic speaks (a `volumev2` endpoint whose root offers v3 is
//    fine; one that offers only v2 is not).
//  - The root is the endpoint URL without its version segment and project id (`…:8776/v3/<project>` → `…:8776`,
//    `https://cloud/compute/v2.1` → `https://cloud/compute`). The API base is that root plus the version path of
//    the document's `self` link (its host is often an internal name behind a proxy, so only its path is used), plus
//    the project id when the catalog URL had one — and for Cinder always (its URLs carry the project before 3.67,
//    and accept it after).
//  - Documents are long-lived: one GET per root, shared by every request and caller (version discovery needs no
//    token), kept for DOCUMENT_TTL_MS; a failed fetch is not kept, so the next request tries again. A 406 from the
//    service (a downgrade since) drops the root's document (forget()).
import { catalogUrls } from '../keystone/catalog.ts';
import type { Caller } from '../../core/caller.ts';
import type { CatalogInterface } from '../../core/config.ts';
import { MosaicError } from '../../core/errors.ts';
import type { CatalogService } from '../../core/services.ts';
import {
  SPOKEN,
  describeEntry,
  describeSpoken,
  formatMicroversion,
  negotiateMicroversion,
  parseVersionDocument,
  type ApiVersionEntry,
  type Microversion,
} from './version-document.ts';

/** What discovery needs of the request's UpstreamClient (http/client.ts, which holds the registry: no import back). */
export interface DocumentGetter {
  get(service: CatalogService, url: string, headers: Record<string, string>, accept: number[]): Promise<{ status: number; body: unknown }>;
}

/** How long a root's version document is trusted before it is read again (an upgrade shows within this). */
export const DOCUMENT_TTL_MS = 60 * 60_000;

/** The API Mosaic talks to for one service and caller. */
export interface ServiceApi {
  service: CatalogService;
  /** The endpoint root the version document came from (no version, no project): Glance's `next` links hang off it. */
  root: string;
  /** Where the API's resources are: `<root>/v2.1`, `<root>/v3/<project>`, `<root>/v2`, `<root>/v2.0`. */
  base: string;
  /** The negotiated microversion (`2.79`), or null for APIs without one. */
  microversion: Microversion | null;
  /** The `OpenStack-API-Version` header value to send (`compute 2.79`), or null. */
  versionHeader: string | null;
}

interface Located {
  root: string;
  /** The version segment of the catalog URL (`v3`), if it had one. */
  segment: string | null;
  /** What followed the version segment (the project id), if anything. */
  tail: string | null;
}

const VERSIONED_PATH = /^(.*?)\/(v\d+(?:\.\d+)?)(?:\/([^/]+))?\/*$/;

/** Splits a catalog URL into its root, version segment and project tail. */
export function locate(url: string): Located {
  const u = new URL(url);
  const m = VERSIONED_PATH.exec(u.pathname);
  if (!m) return { root: `${u.origin}${u.pathname.replace(/\/+$/, '')}`, segment: null, tail: null };
  return { root: `${u.origin}${m[1]}`, segment: m[2], tail: m[3] ?? null };
}

/** The last path segment of a link (`http://h/v2.1/` → `v2.1`), or null. */
function lastSegment(href: string | null): string | null {
  if (!href) return null;
  try {
    const parts = new URL(href).pathname.split('/').filter(Boolean);
    return parts.length ? decodeURIComponent(parts[parts.length - 1]) : null;
  } catch {
    return null;
  }
}

const STATUS_RANK: Record<string, number> = { CURRENT: 0, STABLE: 0, SUPPORTED: 1, EXPERIMENTAL: 2, DEPRECATED: 3 };

export class ApiVersions {
  private readonly documents = new Map<string, { expires: number; entries: Promise<ApiVersionEntry[]> }>();
  /** Version-document fetches sent since start-up (the tests assert "once per root"). */
  fetched = 0;

  constructor(
    private readonly region: string,
    private readonly iface: CatalogInterface,
    private readonly ttlMs = DOCUMENT_TTL_MS,
  ) {}

  /** The API to use for `service` with this caller's catalog: the first catalog type whose root offers one Mosaic speaks. */
  async resolve(upstream: DocumentGetter, caller: Caller, service: CatalogService): Promise<ServiceApi> {
    const urls = catalogUrls(caller, service, this.region, this.iface);
    const spoken = SPOKEN[service];
    const offered: string[] = [];
    for (const url of urls) {
      const where = locate(url);
      const entries = await this.document(upstream, service, where);
      const chosen = this.choose(service, entries);
      if (!chosen) {
        offered.push(`${where.root} offers ${entries.length ? entries.map(describeEntry).join(', ') : 'no version document'}`);
        continue;
      }
      // Placement's API is its root (self link ""): the base is the root, with no version segment.
      const segment = spoken.atRoot ? '' : (lastSegment(chosen.entry.self) ?? where.segment);
      if (!segment && !spoken.atRoot)
        throw new MosaicError('MOSAIC_ERR_UPSTREAM_GARBLED', `${service}: the version document of ${where.root} has no self link`, { service });
      const project = where.tail ?? (service === 'cinder' ? caller.projectId : null);
      const mv = chosen.microversion;
      return {
        service,
        root: where.root,
        base: `${where.root}${segment ? `/${segment}` : ''}${project ? `/${project}` : ''}`,
        microversion: mv,
        versionHeader: mv && spoken.microversions ? `${spoken.microversions.header} ${formatMicroversion(mv)}` : null,
      };
    }
    throw new MosaicError(
      'MOSAIC_ERR_UNSUPPORTED_VERSION',
      `${service} offers no API Mosaic speaks (${describeSpoken(spoken)}): ${offered.join('; ')}`,
      { service },
    );
  }

  /** Forget a root's document (after a 406: the service no longer offers what it said). */
  forget(service: CatalogService, root: string): void {
    this.documents.delete(`${service} ${root}`);
  }

  /** The entry Mosaic speaks and the microversion to send, or null. */
  private choose(service: CatalogService, entries: ApiVersionEntry[]): { entry: ApiVersionEntry; microversion: Microversion | null } | null {
    const spoken = SPOKEN[service];
    const candidates = entries
      .filter((e) => spoken.ids.test(e.id))
      .sort((a, b) => (STATUS_RANK[a.status.toUpperCase()] ?? 4) - (STATUS_RANK[b.status.toUpperCase()] ?? 4));
    for (const entry of candidates) {
      if (!spoken.microversions) return { entry, microversion: null };
      const microversion = negotiateMicroversion(spoken.microversions, entry);
      if (microversion) return { entry, microversion };
    }
    return null;
  }

  /** A root's version document, fetched once per DOCUMENT_TTL_MS for every request and caller. */
  private document(upstream: DocumentGetter, service: CatalogService, where: Located): Promise<ApiVersionEntry[]> {
    const key = `${service} ${where.root}`;
    const now = Date.now();
    const hit = this.documents.get(key);
    if (hit && hit.expires > now) return hit.entries;
    const entries = this.fetch(upstream, service, where);
    this.documents.set(key, { expires: now + this.ttlMs, entries });
    entries.catch(() => {
      if (this.documents.get(key)?.entries === entries) this.documents.delete(key);
    });
    return entries;
  }

  private async fetch(upstream: DocumentGetter, service: CatalogService, where: Located): Promise<ApiVersionEntry[]> {
    // Cinder and Glance answer their root with 300 Multiple Choices; version discovery needs no token.
    this.fetched++;
    const res = await upstream.get(service, `${where.root}${SPOKEN[service].documentPath}`, {}, [300, 404]);
    if (res.status !== 404) return parseVersionDocument(res.body);
    // A root that is not served (a proxy forwarding only the versioned path): the versioned URL's own document.
    if (!where.segment) return [];
    this.fetched++;
    const versioned = await upstream.get(service, `${where.root}/${where.segment}/`, {}, [300, 404]);
    return versioned.status === 404 ? [] : parseVersionDocument(versioned.body);
  }
}
