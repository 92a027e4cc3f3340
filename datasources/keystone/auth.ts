// Keystone v3 token handling, long-lived: password login and token validation, cached until the token expires
// (at most keystone.tokenCacheMaxMs). https://docs.openstack.org/api-ref/identity/v3/
//  - POST /v3/auth/tokens answers 201 with the token only in the X-Subject-Token header.
//  - GET /v3/auth/tokens validates: X-Auth-Token = a valid token (the same one will do), X-Subject-Token = the
//    token checked; 404 when it is invalid or expired.
import type { HttpStack, UpstreamClient } from '../http/client.ts';
import type { Caller } from '../../core/caller.ts';
import { MosaicError } from '../../core/errors.ts';
import { callerFromTokenBody } from './map.ts';

export class KeystoneAuth {
  private readonly cache = new Map<string, { caller: Caller; until: number }>();
  private static readonly MAX_ENTRIES = 10_000;

  constructor(private readonly stack: HttpStack) {}

  private get url() {
    return this.stack.config.keystone.url;
  }

  async login(upstream: UpstreamClient, username: string, password: string, project?: string): Promise<Caller> {
    const scope = project ? { project: { name: project, domain: { id: 'default' } } } : undefined;
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
    this.remember(caller);
    return caller;
  }

  /** The caller a token belongs to; UNAUTHENTICATED when Keystone does not know it or it has expired. */
  async validate(upstream: UpstreamClient, token: string): Promise<Caller> {
    const now = Date.now();
    const hit = this.cache.get(token);
    if (hit && hit.until > now) return hit.caller;
    if (hit) this.cache.delete(token);
    const res = await upstream.request('keystone', {
      url: `${this.url}/auth/tokens`,
      headers: { 'x-auth-token': token, 'x-subject-token': token },
      accept: [401, 404],
    });
    if (res.status !== 200) throw new MosaicError('MOSAIC_ERR_BAD_TOKEN');
    const caller = callerFromTokenBody(token, res.body);
    if (caller.expiresAt.getTime() <= now) throw new MosaicError('MOSAIC_ERR_BAD_TOKEN');
    this.remember(caller);
    return caller;
  }

  private remember(caller: Caller) {
    if (this.cache.size >= KeystoneAuth.MAX_ENTRIES) {
      // Drop the oldest entries (Map keeps insertion order).
      for (const key of [...this.cache.keys()].slice(0, KeystoneAuth.MAX_ENTRIES / 10)) this.cache.delete(key);
    }
    const until = Math.min(caller.expiresAt.getTime(), Date.now() + this.stack.config.keystone.tokenCacheMaxMs);
    this.cache.set(caller.token, { caller, until });
  }
}
