// What every OpenStack datasource shares: the per-request upstream client, the caller whose token is forwarded
// (so the service's own policy applies), and the service's catalog endpoint, resolved on first use so that a
// missing catalog entry fails only the fields that need that service.
import type { Caller } from '../core/caller.ts';
import type { UpstreamClient } from './http/client.ts';

export abstract class OpenStackSource {
  constructor(
    protected readonly upstream: UpstreamClient,
    protected readonly caller: Caller,
    private readonly endpoint: () => string,
  ) {}

  protected get baseUrl(): string {
    return this.endpoint();
  }

  protected get headers(): Record<string, string> {
    return { 'x-auth-token': this.caller.token };
  }
}
