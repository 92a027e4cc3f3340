// Requests per caller (rateLimit.max per rateLimit.windowMs), counted in the SharedStore so replicas behind one
// load balancer share each caller's budget. The caller is the validated token's user (all of a user's tokens
// share one budget); a request without a valid token is counted by client address. Refused requests get HTTP 429
// with Retry-After and the RateLimit-* fields (https://datatracker.ietf.org/doc/draft-ietf-httpapi-ratelimit-headers/).
// A client that has used up its address's budget is refused before its token is checked, so a flood of made-up
// tokens cannot turn into a flood of Keystone validations. The store is a cache: when it fails, requests pass.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { MosaicError } from '../../core/errors.ts';
import type { Services } from '../services.ts';
import { callerOfRequest } from '../context.ts';
import { requestErrorBody } from './request-errors.ts';

/** Client addresses over their budget, until their window ends: checked before any token validation. */
class Blocked {
  private readonly until = new Map<string, number>();
  constructor(private readonly max = 10_000) {}
  has(ip: string, now: number): boolean {
    const end = this.until.get(ip);
    if (end === undefined) return false;
    if (end > now) return true;
    this.until.delete(ip);
    return false;
  }
  add(ip: string, end: number): void {
    if (this.until.size >= this.max) this.until.clear();
    this.until.set(ip, end);
  }
}

export function rateLimitHook(services: Services, path: string) {
  const { max, windowMs } = services.config.rateLimit;
  const blocked = new Blocked();

  const refuse = (reply: FastifyReply, resetMs: number) => {
    const seconds = Math.max(1, Math.ceil(resetMs / 1000));
    return reply
      .code(429)
      .header('retry-after', String(seconds))
      .header('ratelimit-limit', String(max))
      .header('ratelimit-remaining', '0')
      .header('ratelimit-reset', String(seconds))
      .send(
        requestErrorBody(new MosaicError('MOSAIC_ERR_RATE_LIMITED', `More than ${max} requests in ${windowMs / 1000} s; retry after ${seconds} s.`)),
      );
  };

  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.routeOptions.url !== path) return;
    const now = Date.now();
    if (blocked.has(request.ip, now)) return refuse(reply, windowMs);
    // Without a valid token (or with Keystone down: the request will say so itself) the address is counted.
    const caller = await callerOfRequest(services, request.headers, request);
    const key = caller ? `rate:user:${caller.userId}` : `rate:ip:${request.ip}`;
    let count;
    try {
      count = await services.store.hit(key, windowMs);
    } catch {
      return; // the store is down: serve rather than refuse everyone
    }
    reply.header('ratelimit-limit', String(max));
    reply.header('ratelimit-remaining', String(Math.max(0, max - count.count)));
    reply.header('ratelimit-reset', String(Math.max(1, Math.ceil(count.resetMs / 1000))));
    if (count.count <= max) return;
    if (key.startsWith('rate:ip:')) blocked.add(request.ip, now + count.resetMs);
    return refuse(reply, count.resetMs);
  };
}
