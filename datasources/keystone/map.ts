// Keystone JSON → domain: the caller from a token body (https://docs.openstack.org/api-ref/identity/v3/#validate-and-show-information-for-token),
// what a revocation event is matched against in it (tokenFactsFromBody), and projects
// (https://docs.openstack.org/api-ref/identity/v3/#list-projects).
import type { Caller } from '../../core/caller.ts';
import type { Project } from '../../core/domain.ts';
import { MosaicError } from '../../core/errors.ts';

export function callerFromTokenBody(token: string, body: any): Caller {
  const t = body?.token;
  if (!t || !t.user || !t.expires_at)
    throw new MosaicError('MOSAIC_ERR_UPSTREAM_GARBLED', 'keystone answered without a token body', { service: 'keystone' });
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

/**
 * What keystone matches a revocation event against (keystone/models/revoke_model.py build_token_values), read
 * from a token body: the token's audit ids (its own first, then the chain's), who and what it is scoped to, its
 * roles by id, trust and OAuth details, and its times in ms.
 */
export interface TokenFacts {
  issuedAt: number;
  expiresAt: number;
  auditIds: string[];
  userId: string;
  projectId: string | null;
  /** The user's domain. */
  identityDomainId: string | null;
  /** The project's domain, or the domain of a domain-scoped token. */
  assignmentDomainId: string | null;
  roleIds: string[];
  trustId: string | null;
  trustorId: string | null;
  trusteeId: string | null;
  consumerId: string | null;
  accessTokenId: string | null;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

export function tokenFactsFromBody(body: any): TokenFacts {
  const t = body?.token ?? {};
  const trust = t['OS-TRUST:trust'];
  const oauth = t['OS-OAUTH1'];
  const issuedAt = Date.parse(t.issued_at);
  return {
    // A body without issued_at (none seen in practice) counts as issued at the epoch: every event that names the
    // token's user or project then matches it, which costs a re-validation, never a revoked token served.
    issuedAt: Number.isNaN(issuedAt) ? 0 : issuedAt,
    expiresAt: Date.parse(t.expires_at),
    auditIds: Array.isArray(t.audit_ids) ? t.audit_ids.filter((a: unknown) => typeof a === 'string') : [],
    userId: str(t.user?.id) ?? '',
    projectId: str(t.project?.id),
    identityDomainId: str(t.user?.domain?.id),
    assignmentDomainId: str(t.project?.domain?.id) ?? str(t.domain?.id),
    roleIds: ((t.roles ?? []) as { id?: unknown }[]).map((r) => str(r?.id)).filter((id): id is string => id !== null),
    trustId: str(trust?.id),
    trustorId: str(trust?.trustor_user?.id),
    trusteeId: str(trust?.trustee_user?.id),
    consumerId: str(oauth?.consumer_id),
    accessTokenId: str(oauth?.access_token_id),
  };
}

export const toProject = (p: any): Project => ({
  id: p.id,
  name: p.name,
  description: p.description ?? '',
  domainId: p.domain_id ?? 'default',
  enabled: p.enabled !== false,
});
