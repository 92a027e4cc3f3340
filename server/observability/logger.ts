// The gateway's log: pino (https://getpino.io) through Fastify's own logger, so every line Fastify writes about a
// request ("incoming request", "request completed") and every line written with `request.log` carries the
// request id as `reqId`. One JSON object per line on stdout at observability.logLevel (MOSAIC_LOG_LEVEL).
// Credentials never reach the log: the request serializer copies the headers and pino's `redact` censors the
// ones that carry them (https://getpino.io/#/docs/redaction).
import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify';
import type { IncomingMessage } from 'node:http';
import pino, { type DestinationStream, type Level } from 'pino';
import type { LogLevel } from '../../core/config.ts';
import { requestIdFor } from './request-id.ts';

/** Request headers that carry credentials: Keystone tokens, bearer tokens, cookies, the region controller's key. */
export const REDACTED_HEADERS = ['x-auth-token', 'x-subject-token', 'authorization', 'cookie', 'x-api-key'];

/** Whether `level` writes lines of `wanted` severity. */
export const levelEnabled = (level: LogLevel, wanted: Level): boolean =>
  level !== 'silent' && pino.levels.values[wanted] >= pino.levels.values[level];

/** Fastify's request serializer plus the headers (copied: redaction must not touch the live request). */
function serializeRequest(req: IncomingMessage & { ip?: string; host?: string }) {
  return {
    method: req.method,
    url: req.url,
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
    headers: { ...req.headers },
  };
}

/**
 * The Fastify constructor options for logging: a pino instance at `level` writing to `stream` (stdout when not
 * given; tests pass a stream to read the lines), and the request id rule.
 */
export function loggingOptions(
  level: LogLevel,
  stream?: DestinationStream,
): Pick<FastifyServerOptions, 'loggerInstance' | 'genReqId' | 'requestIdHeader'> {
  const logger = pino(
    {
      level,
      timestamp: pino.stdTimeFunctions.isoTime,
      serializers: { req: serializeRequest },
      redact: { paths: REDACTED_HEADERS.map((h) => `req.headers[${JSON.stringify(h)}]`), censor: '[redacted]' },
    },
    stream,
  );
  // Fastify labels the id `reqId` by default (its own `requestIdLogLabel` option is deprecated).
  return { loggerInstance: logger as FastifyBaseLogger, genReqId: requestIdFor, requestIdHeader: false };
}
