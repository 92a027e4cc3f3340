// Keystone JSON → domain: the caller from a token body (https://docs.openstack.org/api-ref/identity/v3/#validate-and-show-information-for-token)
// and projects (https://docs.openstack.org/api-ref/identity/v3/#list-projects).
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

export const toProject = (p: any): Project => ({
  id: p.id,
  name: p.name,
  description: p.description ?? '',
  domainId: p.domain_id ?? 'default',
  enabled: p.enabled !== false,
});
