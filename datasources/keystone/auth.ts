// Keystone v3 token handling, long-lived (one per gateway): password login and token validation, with validated
// tokens cached for every replica (token-cache.ts) and revocations applied within 5 s (revocations.ts).
// https://docs.openstack.org/api-ref/identity/v3/
//  - POST /v3/auth/tokens answers 201 with the token only in the X-Subject-Token header.
//  - GET /v3/auth/tokens validates: X-Auth-Token = a valid token (the same one will do), X-Subject-Token = the
//    token checked; 404 when it is invalid, revoked or expired.
import type { HttpStack, UpstreamClient } from '../http/client.ts';
import type { Caller } from '../../core/caller.ts';
import type { SharedStore } from '../../core/shared-store.ts';
import { MemoryStore } from '../../core/memory-store.ts';
import { channels } from '../../core/diagnostics.ts';
import { MosaicError } from '../../core/errors.ts';
import { callerFromTokenBody, tokenFactsFromBody } from './map.ts';
import { RevocationWatcher } from './revocations.ts';
import { TokenCache } from './token-cache.ts';

export class KeystoneAuth {
  /**
   * Reads Keystone's revocation events with the service account (keystone.serviceUser); null without one or with
   * keystone.revocationPollMs 0, and then a cached token is trusted for 4.5 s only. `status()` is for readiness.
   */
  readonly revocations: RevocationWatcher | null;
  private readonly cache: TokenCache;

  constructor(
    private readonly stack: HttpStack,
    store: SharedStore = new MemoryStore(),
  ) {
    this.revocations = RevocationWatcher.configured(stack.config) ? new RevocationWatcher(stack, store) : null;
    this.cache = new TokenCache(store, stack.config.keystone.tokenCacheMaxMs, this.revocations);
  }

  private get url() {
    return this.stack.config.keystone.url;
  }

  /** Starts reading revocation events in the background (when configured). */
  start(): void {
    this.revocations?.start();
  }

  async close(): Promise<void> {
    await this.revocations?.stop();
  }

  async login(upstream: UpstreamClient, username: string, password: string, project?: string): Promise<Caller> {
    const scope = project ? { project: { name: project, domain: { id: 'default' } } } : undefined;
    const sentAt = Date.now();
    let res;
    try {
      res = await upstream.request('keystone', {
        method: 'POST',
        url: `${this.url}/auth/tokens`,
        json: {
          auth: {
            identity: { methods: ['password'], password: { user: { name: username, domain: { id: 'default' }, password } } },
            ...(scope ? { scope } : {}),
          },
        },
      });
    } catch (err) {
      if (err instanceof MosaicError && (err.upstream?.status === 401 || err.upstream?.status === 400))
        throw new MosaicError('MOSAIC_ERR_BAD_CREDENTIALS');
      throw err;
    }
    const token = res.headers['x-subject-token'];
    if (typeof token !== 'string')
      throw new MosaicError('MOSAIC_ERR_UPSTREAM_GARBLED', 'keystone issued no X-Subject-Token', { service: 'keystone' });
    const caller = callerFromTokenBody(token, res.body);
    await this.cache.put(caller, tokenFactsFromBody(res.body), sentAt);
    return caller;
  }

  /** The caller a token belongs to; UNAUTHENTICATED when Keystone does not know it or it has expired. */
  async validate(upstream: UpstreamClient, token: string): Promise<Caller> {
    const cached = await this.cache.get(token);
    if (channels.cache.hasSubscribers) channels.cache.publish({ cache: 'token', hit: cached !== null });
    if (cached) return cached;
    const sentAt = Date.now();
    const res = await upstream.request('keystone', {
      url: `${this.url}/auth/tokens`,
      headers: { 'x-auth-token': token, 'x-subject-token': token },
      accept: [401, 404],
    });
    if (res.status !== 200) throw new MosaicError('MOSAIC_ERR_BAD_TOKEN');
    const caller = callerFromTokenBody(token, res.body);
    if (caller.expiresAt.getTime() <= Date.now()) throw new MosaicError('MOSAIC_ERR_BAD_TOKEN');
    await this.cache.put(caller, tokenFactsFromBody(res.body), sentAt);
    return caller;
  }
}
