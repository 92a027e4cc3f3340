// The headers that tell a subgraph who is asking, instead of the caller's Keystone token: the gateway's shared
// secret (the subgraph trusts the gateway only) and the caller's user id, project id and roles with an issue
// time, signed with HMAC-SHA256 keyed by the same secret (RFC 2104), so a subgraph can apply tenancy without
// ever holding a credential it could use elsewhere. The subgraph's side of this contract (subgraphs/ import
// nothing from the gateway, so it is written twice) is subgraphs/billing/trust.ts.
import { createHmac } from 'node:crypto';
import type { Caller } from '../../core/caller.ts';

export const SECRET_HEADER = 'x-mosaic-gateway-secret';

/** The headers of one subgraph call: the secret, and the signed caller when there is one. */
export function identityHeaders(
  secret: string,
  caller: Pick<Caller, 'userId' | 'projectId' | 'roles'> | null,
  now = Date.now(),
): Record<string, string> {
  const headers: Record<string, string> = { [SECRET_HEADER]: secret };
  if (!caller) return headers;
  const roles = [...caller.roles].sort().join(',');
  const issuedAt = String(now);
  const signature = createHmac('sha256', secret).update([caller.userId, caller.projectId, roles, issuedAt].join('\n')).digest('hex');
  return {
    ...headers,
    'x-mosaic-user-id': caller.userId,
    'x-mosaic-project-id': caller.projectId,
    'x-mosaic-roles': roles,
    'x-mosaic-issued-at': issuedAt,
    'x-mosaic-signature': signature,
  };
}
