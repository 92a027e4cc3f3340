// Upstream URLs from the caller's service catalog (DESIGN.md: discover them per region, never hard-code them).
// A service may register under several types (core/services.ts lists them newest first); the first type with an
// endpoint for the configured region and interface wins.
import type { Caller } from '../../core/caller.ts';
import type { CatalogInterface } from '../../core/config.ts';
import { MosaicError } from '../../core/errors.ts';
import { SERVICES, type CatalogService } from '../../core/services.ts';

/** The endpoint URL of a service in the caller's catalog, for the configured region and interface. */
export function endpointFor(caller: Caller, service: CatalogService, region: string, iface: CatalogInterface): string {
  for (const type of SERVICES[service].catalogTypes) {
    const entry = caller.catalog.find((c) => c.type === type);
    const endpoint = entry?.endpoints.find((e) => e.interface === iface && (e.region === region || e.region_id === region));
    if (endpoint) return endpoint.url.replace(/\/+$/, '');
  }
  throw new MosaicError('MOSAIC_ERR_NO_ENDPOINT', `no ${service} endpoint in the catalog for region ${region} (${iface})`, { service });
}
