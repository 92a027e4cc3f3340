// Whom the billing service believes: only the gateway, which proves itself with the shared secret
// (`x-mosaic-gateway-secret`), and the caller the gateway vouches for — user id, project id and roles in headers,
// with an HMAC-SHA256 over them and an issue time, keyed with the same secret (RFC 2104). The caller's Keystone
// token never comes here, so this service cannot act as the caller anywhere else. The gateway's side of this
// contract is server/federation/caller-identity.ts; test/gateway/federation.test.ts checks the two agree.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SECRET_HEADER = 'x-mosaic-gateway-secret';
export const IDENTITY_HEADERS = {
  userId: 'x-mosaic-user-id',
  projectId: 'x-mosaic-project-id',
  roles: 'x-mosaic-roles',
  issuedAt: 'x-mosaic-issued-at',
  signature: 'x-mosaic-signature',
} as const;
/** How old (or how far in the future) a signed identity may be: bounds replay of a captured request. */
export const MAX_SKEW_MS = 5 * 60_000;

export interface BillingCaller {
  userId: string;
  projectId: string;
  roles: string[];
  isAdmin: boolean;
}

const equal = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

export const signatureOf = (secret: string, userId: string, projectId: string, roles: string, issuedAt: string) =>
  createHmac('sha256', secret).update([userId, projectId, roles, issuedAt].join('\n')).digest('hex');

type Headers = Record<string, string | string[] | undefined>;
const one = (headers: Headers, name: string) => {
  const v = headers[name];
  return typeof v === 'string' ? v : undefined;
};

/** True when the request carries the gateway's secret. */
export const fromGateway = (headers: Headers, secret: string) => {
  const given = one(headers, SECRET_HEADER);
  return given !== undefined && equal(given, secret);
};

/**
 * The caller the gateway vouches for; null when the request names none (the gateway's own calls, e.g. reading
 * the SDL at start-up); 'invalid' when the headers are there but the signature or the time does not hold.
 */
export function callerOf(headers: Headers, secret: string, now = Date.now()): BillingCaller | null | 'invalid' {
  const userId = one(headers, IDENTITY_HEADERS.userId);
  const signature = one(headers, IDENTITY_HEADERS.signature);
  if (userId === undefined && signature === undefined) return null;
  const projectId = one(headers, IDENTITY_HEADERS.projectId) ?? '';
  const roles = one(headers, IDENTITY_HEADERS.roles) ?? '';
  const issuedAt = one(headers, IDENTITY_HEADERS.issuedAt) ?? '';
  if (!userId || !signature || !/^\d{1,15}$/.test(issuedAt)) return 'invalid';
  if (Math.abs(now - Number(issuedAt)) > MAX_SKEW_MS) return 'invalid';
  if (!equal(signature, signatureOf(secret, userId, projectId, roles, issuedAt))) return 'invalid';
  const list = roles ? roles.split(',') : [];
  return { userId, projectId, roles: list, isAdmin: list.includes('admin') };
}
