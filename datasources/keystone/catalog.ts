// Upstream URLs from the caller's service catalog (DESIGN.md: discover them per region, never hard-code them).
// A service may register under several types (core/services.ts lists them in the official alias order of
// os-service-types: block-storage, volumev3, volumev2, volume); every type's endpoint for the configured region and
// interface is a candidate, and discovery/api-versions.ts keeps the first whose version document offers an API
// Mosaic speaks.
import type { Caller } from '../../core/caller.ts';
import type { CatalogInterface } from '../../core/config.ts';
import { MosaicError } from '../../core/errors.ts';
import { SERVICES, type CatalogService } from '../../core/services.ts';

/** The service's endpoint URLs in the caller's catalog, in alias order, without repeats; NO_ENDPOINT when none. */
export function catalogUrls(caller: Caller, service: CatalogService, region: string, iface: CatalogInterface): string[] {
  const urls: string[] = [];
  for (const type of SERVICES[service].catalogTypes) {
    const entry = caller.catalog.find((c) => c.type === type);
    const endpoint = entry?.endpoints.find((e) => e.interface === iface && (e.region === region || e.region_id === region));
    const url = endpoint?.url.replace(/\/+$/, '');
    if (url && !urls.includes(url)) urls.push(url);
  }
  if (urls.length === 0)
    throw new MosaicError('MOSAIC_ERR_NO_ENDPOINT', `no ${service} endpoint in the catalog for region ${region} (${iface})`, { service });
  return urls;
}
