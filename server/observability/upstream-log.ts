// Log lines from the diagnostics channels: one debug line per upstream call (service, method, route, status,
// durationMs, bytes, and the error's code), written with the request's own logger so it carries the request's
// `reqId`; breaker changes at warn (open) and info (half-open, closed). Subscribed only at the levels that write
// them, so an info-level gateway pays nothing per call.
import type { FastifyBaseLogger } from 'fastify';
import { channels, type BreakerMessage, type UpstreamCallMessage } from '../../core/diagnostics.ts';
import type { LogLevel } from '../../core/config.ts';
import { ChannelSubscriptions } from './channel-subscriptions.ts';
import { levelEnabled } from './logger.ts';
import type { RequestScopes } from './request-scope.ts';
import { errorCodeOf } from './error-code.ts';

/** Subscribes the log lines `level` writes; `scopes` holds this gateway's requests, by the handle messages carry. */
export function subscribeUpstreamLogs(log: FastifyBaseLogger, level: LogLevel, scopes: RequestScopes): ChannelSubscriptions {
  const subscriptions = new ChannelSubscriptions();
  if (levelEnabled(level, 'debug')) {
    subscriptions.on<UpstreamCallMessage>(channels.upstreamEnd, (m) => {
      // A call outside any request (a background poll) is this process's: log it without a request id. A request
      // this gateway does not know is another gateway's (tests run several in one process).
      const scope = m.request ? scopes.get(m.request) : undefined;
      if (m.request && !scope) return;
      const line = { service: m.service, method: m.method, route: m.route, status: m.status, durationMs: m.durationMs, bytes: m.bytes };
      if (m.error) (scope?.log ?? log).debug({ ...line, errorCode: errorCodeOf(m.error), errorMessage: m.error.message }, 'upstream call failed');
      else (scope?.log ?? log).debug(line, 'upstream call');
    });
  }
  if (levelEnabled(level, 'warn')) {
    subscriptions.on<BreakerMessage>(channels.breaker, (m) => {
      if (m.state === 'open') log.warn({ service: m.service, breaker: m.state }, `circuit breaker for ${m.service} opened: calls fail fast`);
      else log.info({ service: m.service, breaker: m.state }, `circuit breaker for ${m.service} is ${m.state === 'closed' ? 'closed' : 'half-open'}`);
    });
  }
  return subscriptions;
}
