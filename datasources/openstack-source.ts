// What every OpenStack datasource shares: the per-request upstream client, the caller whose token is forwarded
// (so the service's own policy applies), and the service's API, resolved on first use so that a missing catalog
// entry or an unsupported version fails only the fields that need that service.
//  - api(service): the endpoint and microversion from the catalog and the root's version document
//    (discovery/api-versions.ts; documents are long-lived, the choice is kept for the request).
//  - getList()/getOne(): GETs with the negotiated `OpenStack-API-Version`. A list answering 404 means the API or the
//    service is not where the catalog says: an UPSTREAM_ERROR at the field, never an empty list. A lookup's 404 is
//    the answer "no such id" (null). A 406 means the service no longer offers the microversion its document
//    advertised: the document is dropped and the field fails with MOSAIC_ERR_UNSUPPORTED_VERSION.
import type { Caller } from '../core/caller.ts';
import { MosaicError } from '../core/errors.ts';
import type { CatalogService } from '../core/services.ts';
import type { UpstreamClient, UpstreamResponse } from './http/client.ts';
import { upstreamMessage } from './http/status-error.ts';
import type { ServiceApi } from './discovery/api-versions.ts';

export abstract class OpenStackSource {
  private readonly apis = new Map<CatalogService, Promise<ServiceApi>>();

  constructor(
    protected readonly upstream: UpstreamClient,
    protected readonly caller: Caller,
  ) {}

  protected get headers(): Record<string, string> {
    return { 'x-auth-token': this.caller.token };
  }

  /** The service's API for this caller: base URL and microversion, discovered once per endpoint root. */
  protected api(service: CatalogService): Promise<ServiceApi> {
    let api = this.apis.get(service);
    if (!api) this.apis.set(service, (api = this.upstream.versions.resolve(this.upstream, this.caller, service)));
    return api;
  }

  /** Where calls to `service` go and with which headers (writes use it: nova/actions.ts, cinder/actions.ts). */
  protected async target(service: CatalogService): Promise<{ base: string; headers: Record<string, string> }> {
    const api = await this.api(service);
    return { base: api.base, headers: this.headersFor(api) };
  }

  /** The caller's token and the negotiated microversion. */
  protected headersFor(api: ServiceApi): Record<string, string> {
    return api.versionHeader ? { ...this.headers, 'openstack-api-version': api.versionHeader } : this.headers;
  }

  /** GET of a list: 404 is an error (UPSTREAM_ERROR), since a list that exists answers 200 even when empty. */
  protected async getList<T = any>(api: ServiceApi, url: string): Promise<UpstreamResponse<T>> {
    const res = await this.send<T>(api, url);
    if (res.status === 404) {
      const detail = upstreamMessage(res.body);
      throw new MosaicError(
        'MOSAIC_ERR_UPSTREAM_STATUS',
        `${api.service} answered 404 for the list ${new URL(url).pathname}: the API version or the service is not there${detail ? ` (${detail})` : ''}`,
        { service: api.service, status: 404, requestId: res.requestId },
      );
    }
    return res;
  }

  /** GET of one object: the 404 comes back (status 404) for the caller to answer null. */
  protected getOne<T = any>(api: ServiceApi, url: string): Promise<UpstreamResponse<T>> {
    return this.send<T>(api, url);
  }

  private async send<T>(api: ServiceApi, url: string): Promise<UpstreamResponse<T>> {
    try {
      return await this.upstream.get<T>(api.service, url, this.headersFor(api), [404]);
    } catch (err) {
      if (err instanceof MosaicError && err.upstream?.status === 406) {
        this.upstream.versions.forget(api.service, api.root);
        throw new MosaicError(
          'MOSAIC_ERR_UNSUPPORTED_VERSION',
          `${api.service} refused ${api.versionHeader ?? 'the API version'} (HTTP 406): ${err.message}`,
          err.upstream,
          { cause: err },
        );
      }
      throw err;
    }
  }
}
