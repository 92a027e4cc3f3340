// Token checks shared by the emulated OpenStack services: each one validates `X-Auth-Token` against the
// tokens Keystone issued (keystonemiddleware's auth_token does the same against the real Keystone) and answers
// 401 in the shape every service behind Keystone uses:
// https://docs.openstack.org/api-ref/compute/#authentication (body {"error": {"code": 401, "title", "message"}}).
import type { EmulatorReply, EmulatorRequest } from './emulator-server.ts';
import type { Cloud, Token } from '../seed/types.ts';

export interface Caller {
  token: Token;
  projectId: string;
  userId: string;
  isAdmin: boolean;
}

export const unauthorizedReply = (): EmulatorReply => ({
  status: 401,
  headers: { 'www-authenticate': 'Keystone uri="http://127.0.0.1:5000"' },
  body: { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } },
});

/** A live token, or undefined when missing, unknown or expired. */
export function lookupToken(cloud: Cloud, tokenId: string | string[] | undefined, now = Date.now()): Token | undefined {
  if (typeof tokenId !== 'string' || tokenId === '') return undefined;
  const token = cloud.tokens.get(tokenId);
  if (!token || token.expiresAt.getTime() <= now) return undefined;
  return token;
}

/** The caller of a request, or a 401 reply to send as it is. */
export function authenticate(cloud: Cloud, req: EmulatorRequest): Caller | EmulatorReply {
  const token = lookupToken(cloud, req.headers['x-auth-token']);
  if (!token) return unauthorizedReply();
  return { token, projectId: token.projectId, userId: token.userId, isAdmin: token.roleNames.includes('admin') };
}

export const isReply = (value: Caller | EmulatorReply): value is EmulatorReply => 'status' in value;

/** Wraps a handler so it only runs for an authenticated caller. */
export function withAuth(cloud: Cloud, handler: (req: EmulatorRequest, caller: Caller) => EmulatorReply | Promise<EmulatorReply>) {
  return (req: EmulatorRequest) => {
    const caller = authenticate(cloud, req);
    return isReply(caller) ? caller : handler(req, caller);
  };
}
