// What an upstream's failure means, as a MosaicError with the service name and the upstream's request id: a
// transport failure (timeout, refused, aborted), an HTTP status, or a body that is not what the API promises.
// Pure functions of what came back, unit-tested with plain values (test/datasources/http-policy.test.ts).
import type http from 'node:http';
import { RequestError } from 'got';
import { MosaicError } from '../../core/errors.ts';

const REQUEST_ID_HEADERS = ['x-openstack-request-id', 'x-compute-request-id', 'x-request-id'];

/** The upstream's own request id (OpenStack sends X-Openstack-Request-Id; Nova also X-Compute-Request-Id). */
export function upstreamRequestId(headers: http.IncomingHttpHeaders): string | undefined {
  for (const h of REQUEST_ID_HEADERS) {
    const v = headers[h];
    if (typeof v === 'string') return v;
  }
  return undefined;
}

/** The human message inside an OpenStack error body, whatever its shape (they all differ). */
export function upstreamMessage(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const b = body as Record<string, any>;
  if (typeof b.message === 'string') return b.message; // Glance
  if (b.error && typeof b.error.message === 'string') return b.error.message; // Keystone and 401s
  if (b.NeutronError && typeof b.NeutronError.message === 'string') return b.NeutronError.message; // Neutron
  for (const value of Object.values(b)) {
    // Nova and Cinder: {"itemNotFound": {"code": 404, "message": "…"}} with a varying key.
    if (value && typeof value === 'object' && typeof (value as any).message === 'string') return (value as any).message;
  }
  return undefined;
}

/** An upstream answered 2xx with JSON of the wrong shape. */
export const garbled = (service: string, what: string) =>
  new MosaicError('MOSAIC_ERR_UPSTREAM_GARBLED', `${service} answered with an unexpected body (${what})`, { service });

/** A request that got no answer: timed out, was cancelled, or could not connect. */
export function transportError(service: string, err: unknown): MosaicError {
  if (err instanceof RequestError) {
    if (err.name === 'TimeoutError' || err.code === 'ETIMEDOUT') {
      return new MosaicError('MOSAIC_ERR_UPSTREAM_TIMEOUT', `${service} did not answer in time`, { service }, { cause: err });
    }
    if (err.name === 'AbortError' || err.code === 'ERR_ABORTED') {
      return new MosaicError('MOSAIC_ERR_UPSTREAM_UNAVAILABLE', `the request to ${service} was cancelled`, { service }, { cause: err });
    }
    return new MosaicError(
      'MOSAIC_ERR_UPSTREAM_UNAVAILABLE',
      `${service} is unreachable (${err.code ?? 'connection failed'})`,
      { service },
      { cause: err },
    );
  }
  return new MosaicError('MOSAIC_ERR_UPSTREAM_UNAVAILABLE', `${service} is unreachable`, { service }, { cause: err });
}

/** A non-2xx answer the caller did not accept. */
export function statusError(service: string, status: number, body: unknown, requestId?: string): MosaicError {
  const detail = upstreamMessage(body);
  const info = { service, requestId, status };
  if (status === 401) return new MosaicError('MOSAIC_ERR_BAD_TOKEN', detail ? `${service}: ${detail}` : undefined, info);
  if (status === 403) return new MosaicError('MOSAIC_ERR_UPSTREAM_FORBIDDEN', detail ? `${service}: ${detail}` : undefined, info);
  if (status === 404) return new MosaicError('MOSAIC_ERR_NOT_FOUND', detail ? `${service}: ${detail}` : undefined, info);
  // A proxy in front of the service answering for it: the service itself is down or too slow.
  if (status === 502 || status === 503) return new MosaicError('MOSAIC_ERR_UPSTREAM_UNAVAILABLE', `${service} is unavailable (HTTP ${status})`, info);
  if (status === 504) return new MosaicError('MOSAIC_ERR_UPSTREAM_TIMEOUT', `${service} timed out behind its proxy (HTTP 504)`, info);
  return new MosaicError('MOSAIC_ERR_UPSTREAM_STATUS', `${service} answered ${status}${detail ? `: ${detail}` : ''}`, info);
}
