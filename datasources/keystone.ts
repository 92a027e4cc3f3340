// Keystone v3: password login, token validation (cached until expiry, at most tokenCacheMaxMs), the service
// catalog of the caller's token, and projects. https://docs.openstack.org/api-ref/identity/v3/
//  - POST /v3/auth/tokens answers 201 with the token only in the X-Subject-Token header.
//  - GET /v3/auth/tokens validates: X-Auth-Token = a valid token (the same one will do), X-Subject-Token = the
//    token checked; 404 when it is invalid or expired.
import type { HttpStack, UpstreamClient } from './http.ts';
import { MosaicError } from '../server/errors.ts';
import type { CatalogInterface } from '../server/config.ts';

export interface CatalogEntry { type: string; endpoints: { interface: string; region: string; region_id?: string; url: string }[] }

export interface Caller {
  token: string;
  userId: string;
  userName: string;
  projectId: string;
  projectName: string;
  roles: string[];
  isAdmin: boolean;
  expiresAt: Date;
  catalog: CatalogEntry[];
}

export interface LoginRecord { token: string; expiresAt: Date; viewer: Caller }

export interface ProjectRecord { id: string; name: string; description: string; domainId: string; enabled: boolean }

/** Service types in the order we look them up; Cinder registers under several. */
const SERVICE_TYPES: Record<'nova' | 'cinder' | 'glance' | 'neutron', string[]> = {
  nova: ['compute'],
  cinder: ['block-storage', 'volumev3', 'volume'],
  glance: ['image'],
  neutron: ['network'],
};

export function callerFromTokenBody(token: string, body: any): Caller {
  const t = body?.token;
  if (!t || !t.user || !t.expires_at) throw new MosaicError('MOSAIC_ERR_UPSTREAM_GARBLED', 'keystone answered without a token body', { service: 'keystone' });
  const roles: string[] = (t.roles ?? []).map((r: { name: string }) => r.name);
  return {
    token,
    userId: t.user.id,
    userName: t.user.name,
    projectId: t.project?.id ?? '',
    projectName: t.project?.name ?? '',
    roles,
    isAdmin: roles.includes('admin'),
    expiresAt: new Date(t.expires_at),
    catalog: t.catalog ?? [],
  };
}

/** The endpoint URL of a service in the caller's catalog, for the configured region and interface. */
export function endpointFor(caller: Caller, service: keyof typeof SERVICE_TYPES, region: string, iface: CatalogInterface): string {
  for (const type of SERVICE_TYPES[service]) {
    const entry = caller.catalog.find((c) => c.type === type);
    const endpoint = entry?.endpoints.find((e) => e.interface === iface && (e.region === region || e.region_id === region));
    if (endpoint) return endpoint.url.replace(/\/+$/, '');
  }
  throw new MosaicError('MOSAIC_ERR_NO_ENDPOINT', `no ${service} endpoint in the catalog for region ${region} (${iface})`, { service });
}

/** Long-lived: validates tokens and caches the result per token. */
export class KeystoneAuth {
  private readonly cache = new Map<string, { caller: Caller; until: number }>();
  private static readonly MAX_ENTRIES = 10_000;

  constructor(private readonly stack: HttpStack) {}

  private get url() {
    return this.stack.config.keystone.url;
  }

  async login(upstream: UpstreamClient, username: string, password: string, project?: string): Promise<{ caller: Caller }> {
    const scope = project ? { project: { name: project, domain: { id: 'default' } } } : undefined;
    let res;
    try {
      res = await upstream.request('keystone', {
        method: 'POST',
        url: `${this.url}/auth/tokens`,
        json: { auth: { identity: { methods: ['password'], password: { user: { name: username, domain: { id: 'default' }, password } } }, ...(scope ? { scope } : {}) } },
      });
    } catch (err) {
      if (err instanceof MosaicError && (err.upstream?.status === 401 || err.upstream?.status === 400)) throw new MosaicError('MOSAIC_ERR_BAD_CREDENTIALS');
      throw err;
    }
    const token = res.headers['x-subject-token'];
    if (typeof token !== 'string') throw new MosaicError('MOSAIC_ERR_UPSTREAM_GARBLED', 'keystone issued no X-Subject-Token', { service: 'keystone' });
    const caller = callerFromTokenBody(token, res.body);
    this.remember(caller);
    return { caller };
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

  /** Projects the caller may see: every project for an admin, otherwise those its user can scope to. */
  async projects(upstream: UpstreamClient, caller: Caller): Promise<ProjectRecord[]> {
    const url = caller.isAdmin ? `${this.url}/projects` : `${this.url}/auth/projects`;
    const res = await upstream.get('keystone', url, { 'x-auth-token': caller.token });
    return ((res.body?.projects ?? []) as any[]).map((p) => ({
      id: p.id, name: p.name, description: p.description ?? '', domainId: p.domain_id ?? 'default', enabled: p.enabled !== false,
    }));
  }
}
