// The HTTP layer's pure policy: what an upstream status or transport failure means (status-error.ts), which
// requests are retried and how long to wait (retry-policy.ts), and how identical GETs in flight share one fetch (coalesce.ts).
import { describe, expect, it } from 'vitest';
import { RequestError, type Options } from 'got';
import { garbled, statusError, transportError, upstreamMessage, upstreamRequestId } from '../../datasources/http/status-error.ts';
import { retryDelayMs, retryLimit } from '../../datasources/http/retry-policy.ts';
import { InflightGets } from '../../datasources/http/coalesce.ts';
import { ERRORS, MosaicError } from '../../core/errors.ts';
import { deferred } from '../helpers/deferred.ts';

/** A got RequestError as got raises it for a failed connection, without a request behind it. */
const gotError = (message: string, code: string) => new RequestError(message, { code }, undefined as unknown as Options);

const novaNotFound = { itemNotFound: { code: 404, message: 'Instance 764e369e could not be found.' } };

describe('upstreamMessage', () => {
  it('reads Glance errors ({message, code, title})', () => {
    expect(upstreamMessage({ message: 'No image found with ID 1bea47ed', code: '404 Not Found', title: 'Not Found' })).toBe(
      'No image found with ID 1bea47ed',
    );
  });

  it('reads Keystone errors ({error: {code, title, message}})', () => {
    expect(upstreamMessage({ error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } })).toBe(
      'The request you have made requires authentication.',
    );
  });

  it('reads Neutron errors ({NeutronError: {type, message, detail}})', () => {
    expect(upstreamMessage({ NeutronError: { type: 'PortNotFound', message: 'Port d80b1a3b could not be found.', detail: '' } })).toBe(
      'Port d80b1a3b could not be found.',
    );
  });

  it('reads Nova and Cinder errors under whatever key they use', () => {
    expect(upstreamMessage(novaNotFound)).toBe('Instance 764e369e could not be found.');
    expect(upstreamMessage({ badRequest: { code: 400, message: 'Invalid input for field/attribute limit.' } })).toBe(
      'Invalid input for field/attribute limit.',
    );
    expect(upstreamMessage({ overLimit: { code: 413, message: 'Over quota', retryAfter: '0' } })).toBe('Over quota');
  });

  it('gives undefined for a body that is not an object or has no message', () => {
    expect(upstreamMessage('<html><body><h1>502 Bad Gateway</h1></body></html>')).toBeUndefined();
    expect(upstreamMessage(undefined)).toBeUndefined();
    expect(upstreamMessage(null)).toBeUndefined();
    expect(upstreamMessage(404)).toBeUndefined();
    expect(upstreamMessage({})).toBeUndefined();
    expect(upstreamMessage({ error: 'unauthorized' })).toBeUndefined();
    expect(upstreamMessage({ itemNotFound: { code: 404 } })).toBeUndefined();
  });
});

describe('upstreamRequestId', () => {
  it('prefers X-Openstack-Request-Id, then X-Compute-Request-Id, then X-Request-Id', () => {
    expect(upstreamRequestId({ 'x-request-id': 'req-3', 'x-compute-request-id': 'req-2', 'x-openstack-request-id': 'req-1' })).toBe('req-1');
    expect(upstreamRequestId({ 'x-request-id': 'req-3', 'x-compute-request-id': 'req-2' })).toBe('req-2');
    expect(upstreamRequestId({ 'x-request-id': 'req-3' })).toBe('req-3');
  });

  it('gives undefined without a request id header', () => {
    expect(upstreamRequestId({})).toBeUndefined();
    expect(upstreamRequestId({ 'content-type': 'application/json' })).toBeUndefined();
  });
});

describe('statusError', () => {
  it('maps 401 to MOSAIC_ERR_BAD_TOKEN with the upstream message', () => {
    const err = statusError('keystone', 401, { error: { code: 401, title: 'Unauthorized', message: 'The token has expired.' } }, 'req-k1');
    expect(err).toBeInstanceOf(MosaicError);
    expect(err.errorName).toBe('MOSAIC_ERR_BAD_TOKEN');
    expect(err.code).toBe('UNAUTHENTICATED');
    expect(err.message).toBe('keystone: The token has expired.');
    expect(err.extensions).toEqual({
      code: 'UNAUTHENTICATED',
      mosaicCode: 'MOSAIC_ERR_BAD_TOKEN',
      service: 'keystone',
      upstreamRequestId: 'req-k1',
      upstreamStatus: 401,
    });
  });

  it('maps 403 to MOSAIC_ERR_UPSTREAM_FORBIDDEN', () => {
    const err = statusError(
      'nova',
      403,
      { forbidden: { code: 403, message: "Policy doesn't allow os_compute_api:servers:detail:get_all_tenants to be performed." } },
      'req-n1',
    );
    expect(err.errorName).toBe('MOSAIC_ERR_UPSTREAM_FORBIDDEN');
    expect(err.code).toBe('FORBIDDEN');
    expect(err.message).toBe("nova: Policy doesn't allow os_compute_api:servers:detail:get_all_tenants to be performed.");
    expect(err.extensions).toMatchObject({ service: 'nova', upstreamRequestId: 'req-n1', upstreamStatus: 403 });
  });

  it('maps 404 to MOSAIC_ERR_NOT_FOUND', () => {
    const err = statusError('nova', 404, novaNotFound, 'req-n2');
    expect(err.errorName).toBe('MOSAIC_ERR_NOT_FOUND');
    expect(err.code).toBe('NOT_FOUND');
    expect(err.message).toBe('nova: Instance 764e369e could not be found.');
  });

  it('uses the table message for 401/403/404 when the body says nothing', () => {
    expect(statusError('glance', 401, '').message).toBe(ERRORS.MOSAIC_ERR_BAD_TOKEN.message);
    expect(statusError('glance', 403, null).message).toBe(ERRORS.MOSAIC_ERR_UPSTREAM_FORBIDDEN.message);
    expect(statusError('glance', 404, {}).message).toBe(ERRORS.MOSAIC_ERR_NOT_FOUND.message);
  });

  it('maps 502 and 503 (a proxy answering for the service) to UNAVAILABLE', () => {
    for (const status of [502, 503]) {
      const err = statusError('cinder', status, '<html>Bad Gateway</html>', 'req-c1');
      expect(err.errorName).toBe('MOSAIC_ERR_UPSTREAM_UNAVAILABLE');
      expect(err.code).toBe('UPSTREAM_UNAVAILABLE');
      expect(err.message).toBe(`cinder is unavailable (HTTP ${status})`);
      expect(err.extensions).toEqual({
        code: 'UPSTREAM_UNAVAILABLE',
        mosaicCode: 'MOSAIC_ERR_UPSTREAM_UNAVAILABLE',
        service: 'cinder',
        upstreamRequestId: 'req-c1',
        upstreamStatus: status,
      });
    }
  });

  it('maps 504 to TIMEOUT', () => {
    const err = statusError('neutron', 504, null);
    expect(err.errorName).toBe('MOSAIC_ERR_UPSTREAM_TIMEOUT');
    expect(err.code).toBe('UPSTREAM_TIMEOUT');
    expect(err.message).toBe('neutron timed out behind its proxy (HTTP 504)');
    expect(err.extensions).toEqual({ code: 'UPSTREAM_TIMEOUT', mosaicCode: 'MOSAIC_ERR_UPSTREAM_TIMEOUT', service: 'neutron', upstreamStatus: 504 });
  });

  it('maps any other status to MOSAIC_ERR_UPSTREAM_STATUS with the upstream message included', () => {
    const conflict = statusError(
      'neutron',
      409,
      { NeutronError: { type: 'IpAddressInUse', message: 'IP address 10.0.0.3 already allocated.', detail: '' } },
      'req-q1',
    );
    expect(conflict.errorName).toBe('MOSAIC_ERR_UPSTREAM_STATUS');
    expect(conflict.code).toBe('UPSTREAM_ERROR');
    expect(conflict.message).toBe('neutron answered 409: IP address 10.0.0.3 already allocated.');
    expect(conflict.extensions).toMatchObject({ service: 'neutron', upstreamRequestId: 'req-q1', upstreamStatus: 409 });

    const internal = statusError('glance', 500, {
      message: 'Internal Server Error',
      code: '500 Internal Server Error',
      title: 'Internal Server Error',
    });
    expect(internal.errorName).toBe('MOSAIC_ERR_UPSTREAM_STATUS');
    expect(internal.message).toBe('glance answered 500: Internal Server Error');

    expect(statusError('legacy', 500, 'oops').message).toBe('legacy answered 500');
  });

  it('leaves upstreamRequestId out of the extensions when there was none', () => {
    const ext = statusError('nova', 500, novaNotFound).extensions;
    expect(ext).not.toHaveProperty('upstreamRequestId');
    expect(ext.upstreamStatus).toBe(500);
  });
});

describe('transportError', () => {
  it('maps a plain Error to UNAVAILABLE and keeps it as the cause', () => {
    const cause = new Error('socket hang up');
    const err = transportError('glance', cause);
    expect(err).toBeInstanceOf(MosaicError);
    expect(err.errorName).toBe('MOSAIC_ERR_UPSTREAM_UNAVAILABLE');
    expect(err.message).toBe('glance is unreachable');
    expect(err.cause).toBe(cause);
    expect(err.extensions).toEqual({ code: 'UPSTREAM_UNAVAILABLE', mosaicCode: 'MOSAIC_ERR_UPSTREAM_UNAVAILABLE', service: 'glance' });
  });

  it('maps a got ETIMEDOUT to TIMEOUT', () => {
    const cause = gotError("Timeout awaiting 'request' for 3000ms", 'ETIMEDOUT');
    const err = transportError('nova', cause);
    expect(err.errorName).toBe('MOSAIC_ERR_UPSTREAM_TIMEOUT');
    expect(err.message).toBe('nova did not answer in time');
    expect(err.cause).toBe(cause);
  });

  it('maps a cancelled got request to UNAVAILABLE saying so', () => {
    const err = transportError('cinder', gotError('This operation was aborted.', 'ERR_ABORTED'));
    expect(err.errorName).toBe('MOSAIC_ERR_UPSTREAM_UNAVAILABLE');
    expect(err.message).toBe('the request to cinder was cancelled');
  });

  it('names the connection error code of a got failure', () => {
    const err = transportError('neutron', gotError('connect ECONNREFUSED 127.0.0.1:9696', 'ECONNREFUSED'));
    expect(err.errorName).toBe('MOSAIC_ERR_UPSTREAM_UNAVAILABLE');
    expect(err.message).toBe('neutron is unreachable (ECONNREFUSED)');
  });
});

describe('garbled', () => {
  it('reports a 2xx body of the wrong shape as MOSAIC_ERR_UPSTREAM_GARBLED', () => {
    const err = garbled('nova', 'servers is not an array');
    expect(err.errorName).toBe('MOSAIC_ERR_UPSTREAM_GARBLED');
    expect(err.message).toBe('nova answered with an unexpected body (servers is not an array)');
    expect(err.extensions).toEqual({ code: 'UPSTREAM_ERROR', mosaicCode: 'MOSAIC_ERR_UPSTREAM_GARBLED', service: 'nova' });
  });
});

describe('retry policy', () => {
  it('gives GET and HEAD, in any case, the configured retries', () => {
    expect(retryLimit('GET', 2)).toBe(2);
    expect(retryLimit('HEAD', 2)).toBe(2);
    expect(retryLimit('get', 3)).toBe(3);
    expect(retryLimit('Head', 1)).toBe(1);
    expect(retryLimit('GET', 0)).toBe(0);
  });

  it('never retries POST, DELETE, PUT or PATCH', () => {
    for (const method of ['POST', 'DELETE', 'PUT', 'PATCH', 'post', 'OPTIONS']) expect(retryLimit(method, 5)).toBe(0);
  });

  it('waits 0 ms when got has decided not to retry', () => {
    expect(retryDelayMs({ attemptCount: 1, computedValue: 0 })).toBe(0);
    expect(retryDelayMs({ attemptCount: 5, computedValue: 0 })).toBe(0);
  });

  it('waits 25 ms per attempt, at most 200 ms', () => {
    expect([1, 2, 3, 4, 8, 9, 100].map((attemptCount) => retryDelayMs({ attemptCount, computedValue: 1000 }))).toEqual([
      25, 50, 75, 100, 200, 200, 200,
    ]);
    expect(retryDelayMs({ attemptCount: 2, computedValue: 1 })).toBe(50);
  });
});

describe('InflightGets', () => {
  it('hands a second caller of the same key the pending promise without fetching again', async () => {
    const gets = new InflightGets<string>();
    const answer = deferred<string>();
    let fetches = 0;
    const fetch = () => {
      fetches++;
      return answer.promise;
    };
    const first = gets.share('nova|/servers/detail|u|p|member', fetch);
    const second = gets.share('nova|/servers/detail|u|p|member', fetch);
    expect(second).toBe(first);
    expect(fetches).toBe(1);
    expect(gets.size).toBe(1);
    answer.resolve('servers');
    expect(await Promise.all([first, second])).toEqual(['servers', 'servers']);
  });

  it('forgets a key once its fetch resolves, so the next share fetches anew', async () => {
    const gets = new InflightGets<number>();
    let fetches = 0;
    const fetch = async () => ++fetches;
    expect(await gets.share('k', fetch)).toBe(1);
    expect(gets.size).toBe(0);
    expect(await gets.share('k', fetch)).toBe(2);
    expect(fetches).toBe(2);
  });

  it('forgets a key once its fetch rejects, so the next share fetches anew', async () => {
    const gets = new InflightGets<string>();
    const failure = deferred<string>();
    const first = gets.share('k', () => failure.promise);
    failure.reject(new Error('glance answered 503'));
    await expect(first).rejects.toThrow('glance answered 503');
    expect(gets.size).toBe(0);
    expect(await gets.share('k', async () => 'images')).toBe('images');
  });

  it('does not share between different keys (another tenant scope is another key)', async () => {
    const gets = new InflightGets<string>();
    const a = deferred<string>();
    const b = deferred<string>();
    const first = gets.share('nova|/servers/detail|alice|p1|member', () => a.promise);
    const second = gets.share('nova|/servers/detail|bob|p2|member', () => b.promise);
    expect(second).not.toBe(first);
    expect(gets.size).toBe(2);
    b.resolve('bob servers');
    a.resolve('alice servers');
    expect(await first).toBe('alice servers');
    expect(await second).toBe('bob servers');
    expect(gets.size).toBe(0);
  });
});
