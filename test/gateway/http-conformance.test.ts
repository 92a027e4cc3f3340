// GraphQL over HTTP on both runtimes (https://graphql.github.io/graphql-over-http/draft/): graphql-http's own
// server audit, with no failing MUST or SHOULD, then the rules it does not check: the CSRF rule (the one Apollo
// Server applies, https://www.apollographql.com/docs/apollo-server/security/cors#preventing-cross-site-request-forgery-csrf),
// content negotiation, GET and the request shapes Mosaic refuses, each with its status and stable code.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditServer, type AuditFail } from 'graphql-http';
import { issueToken, startTestCloud, statsOf, type DemoCloud } from '../helpers/cloud.ts';
import { RUNTIMES, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { responseMediaFor } from '../../server/http/media-types.ts';

const GRAPHQL_RESPONSE = 'application/graphql-response+json';

describe('responseMediaFor', () => {
  it.each([
    [undefined, 'application/json', false],
    ['', 'application/json', false],
    ['*/*', 'application/json', false],
    ['application/*', 'application/json', false],
    ['application/json', 'application/json', true],
    ['application/json, */*;q=0.5', 'application/json', true],
    [`application/json, ${GRAPHQL_RESPONSE}`, GRAPHQL_RESPONSE, false],
    [`${GRAPHQL_RESPONSE};q=0.5, application/json`, 'application/json', true],
    [`${GRAPHQL_RESPONSE};q=0.5, */*`, 'application/json', false],
    [`application/json;q=0, */*`, GRAPHQL_RESPONSE, false],
    [`text/html, application/xhtml+xml, */*;q=0.8`, 'application/json', false],
  ])('reads Accept: %s as %s (200 for request errors: %s)', (accept, type, okForRequestErrors) => {
    expect(responseMediaFor(accept)).toEqual({ type, okForRequestErrors });
  });

  it.each(['text/html', 'application/xml, text/*', `application/json;q=0, ${GRAPHQL_RESPONSE};q=0`, 'nonsense'])(
    'allows neither for %s',
    (accept) => {
      expect(responseMediaFor(accept)).toBeNull();
    },
  );
});

let cloud: DemoCloud;
let admin: string;
beforeAll(async () => {
  cloud = await startTestCloud();
  admin = (await issueToken(cloud, 'admin')).token;
});
afterAll(() => cloud?.close());

describe.each(RUNTIMES)('GraphQL over HTTP on %s', (runtime) => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway(cloud, runtime);
  });
  afterAll(() => gw?.close());

  /** One request to /graphql: `search` for a GET, `body` (sent as is) for a POST. */
  const send = async (init: { method?: string; search?: Record<string, string>; body?: string; headers?: Record<string, string> }) => {
    const url = new URL(gw.url);
    for (const [k, v] of Object.entries(init.search ?? {})) url.searchParams.set(k, v);
    const res = await fetch(url, { method: init.method ?? (init.body === undefined ? 'GET' : 'POST'), headers: init.headers, body: init.body });
    const text = await res.text();
    let body: any;
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
    return { status: res.status, type: res.headers.get('content-type') ?? '', allow: res.headers.get('allow'), body };
  };
  const json = { 'content-type': 'application/json' };
  const codesOf = (body: any) => (body?.errors ?? []).map((e: any) => e.extensions?.mosaicCode ?? e.extensions?.code);

  it('passes every MUST and SHOULD audit of graphql-http', async () => {
    // The audit asks for `__type(name: …)` (introspection), which security.introspection keeps from anonymous
    // callers, so every audit request carries the admin's token. X-Auth-Token is not CORS-safelisted, so it is
    // also what lets the audit's GETs through the CSRF rule — the rule itself is the gateway's default.
    const bodies = new WeakMap<Response, Promise<string>>();
    const fetchFn = async (input: RequestInfo | URL, init: RequestInit = {}) => {
      const headers = new Headers(init.headers);
      headers.set('x-auth-token', admin);
      const res = await fetch(input, { ...init, headers });
      bodies.set(res, res.clone().text());
      return res;
    };
    const results = await auditServer({ url: gw.url, fetchFn });
    expect(results.length).toBeGreaterThan(50);
    const failing = results.filter((r): r is AuditFail => r.status !== 'ok');
    // A failing audit hands back either the response it read (its body kept above) or an unread clone of it.
    const bodyOf = (res: Response) => bodies.get(res) ?? res.text();
    const explain = async (r: AuditFail) =>
      `${r.name} (${r.id}): ${r.reason} — got ${r.response.status} ${r.response.headers.get('content-type')} ${await bodyOf(r.response)}`;
    const required = failing.filter((r) => !r.name.startsWith('MAY'));
    const optional = failing.filter((r) => r.name.startsWith('MAY'));
    if (optional.length) console.info(`[${runtime}] MAY audits not met:\n${(await Promise.all(optional.map(explain))).join('\n')}`);
    expect(await Promise.all(required.map(explain)), 'failing MUST/SHOULD audits').toEqual([]);
  }, 60_000);

  describe('the CSRF rule', () => {
    it('refuses a GET with no header that forces a preflight', async () => {
      const res = await send({ search: { query: '{ __typename }' } });
      expect(res.status).toBe(400);
      expect(codesOf(res.body)).toEqual(['MOSAIC_ERR_CSRF']);
      expect(res.body.data).toBeUndefined();
    });

    it.each([
      ['x-auth-token', () => admin],
      ['authorization', () => `Bearer ${admin}`],
      ['apollo-require-preflight', () => 'true'],
      ['x-apollo-operation-name', () => 'Q'],
      ['x-mosaic-csrf', () => '1'],
    ])('runs a GET that carries %s', async (header, value) => {
      const res = await send({ search: { query: '{ __typename }' }, headers: { [header]: value() } });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ data: { __typename: 'Query' } });
    });

    it('does not count an empty preflight header', async () => {
      const res = await send({ search: { query: '{ __typename }' }, headers: { 'x-mosaic-csrf': '' } });
      expect(codesOf(res.body)).toEqual(['MOSAIC_ERR_CSRF']);
    });

    it('refuses a text/plain POST as CSRF without a preflight header, and as 415 with one', async () => {
      const body = JSON.stringify({ query: '{ __typename }' });
      const simple = await send({ body, headers: { 'content-type': 'text/plain' } });
      expect(simple.status).toBe(400);
      expect(codesOf(simple.body)).toEqual(['MOSAIC_ERR_CSRF']);
      const preflighted = await send({ body, headers: { 'content-type': 'text/plain', 'x-mosaic-csrf': '1' } });
      expect(preflighted.status).toBe(415);
      expect(codesOf(preflighted.body)).toEqual(['MOSAIC_ERR_UNSUPPORTED_MEDIA_TYPE']);
    });

    it('runs an application/json POST with no other header', async () => {
      const res = await send({ body: JSON.stringify({ query: '{ __typename }' }), headers: json });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ data: { __typename: 'Query' } });
    });
  });

  describe('media types', () => {
    const typo = JSON.stringify({ query: '{ __typenam }' });

    it('answers in application/graphql-response+json when the client accepts it, at equal weight too', async () => {
      for (const accept of [GRAPHQL_RESPONSE, `application/json, ${GRAPHQL_RESPONSE}`, `${GRAPHQL_RESPONSE}, application/json;q=0.9`]) {
        const res = await send({ body: JSON.stringify({ query: '{ __typename }' }), headers: { ...json, accept } });
        expect([res.status, res.type]).toEqual([200, `${GRAPHQL_RESPONSE}; charset=utf-8`]);
      }
    });

    it('answers in application/json for */* (what fetch sends without an Accept), and when the client prefers it', async () => {
      for (const accept of [undefined, '*/*', 'application/*', `application/json, ${GRAPHQL_RESPONSE};q=0.5`]) {
        const res = await send({ body: JSON.stringify({ query: '{ __typename }' }), headers: { ...json, ...(accept ? { accept } : {}) } });
        expect([res.status, res.type]).toEqual([200, 'application/json; charset=utf-8']);
      }
    });

    it('refuses an Accept that allows neither with 406', async () => {
      for (const accept of ['text/html', `application/json;q=0, ${GRAPHQL_RESPONSE};q=0`]) {
        const res = await send({ body: JSON.stringify({ query: '{ __typename }' }), headers: { ...json, accept } });
        expect(res.status).toBe(406);
        expect(codesOf(res.body)).toEqual(['MOSAIC_ERR_NOT_ACCEPTABLE']);
      }
    });

    it('answers a document that fails validation 400 in graphql-response+json and 200 in application/json, with no data', async () => {
      const strict = await send({ body: typo, headers: { ...json, accept: GRAPHQL_RESPONSE } });
      expect(strict.status).toBe(400);
      expect(strict.body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect('data' in strict.body).toBe(false);
      const legacy = await send({ body: typo, headers: { ...json, accept: 'application/json' } });
      expect([legacy.status, legacy.type]).toEqual([200, 'application/json; charset=utf-8']);
      expect(legacy.body).toEqual(strict.body);
      // A client that names neither keeps the status Mosaic has always answered.
      expect((await send({ body: typo, headers: json })).status).toBe(400);
    });

    it('answers a variable that fails coercion like a validation failure', async () => {
      const body = JSON.stringify({ query: 'query ($id: ID!) { node(id: $id) { id } }', variables: {} });
      const strict = await send({ body, headers: { ...json, accept: GRAPHQL_RESPONSE } });
      expect(strict.status).toBe(400);
      expect('data' in strict.body).toBe(false);
      const legacy = await send({ body, headers: { ...json, accept: 'application/json' } });
      expect(legacy.status).toBe(200);
      expect(legacy.body.errors[0].message).toMatch(/\$id/);
    });

    it('keeps the status of a request that is not well-formed in application/json', async () => {
      const res = await send({ body: '{"query": ', headers: { ...json, accept: 'application/json' } });
      expect(res.status).toBe(400);
      expect(codesOf(res.body)).toEqual(['MOSAIC_ERR_BAD_REQUEST']);
    });
  });

  describe('GET', () => {
    const preflight = { 'x-mosaic-csrf': '1' };

    it('takes variables and extensions as JSON strings', async () => {
      const ok = await send({
        search: {
          query: 'query Q($on: Boolean!) { __typename @include(if: $on) }',
          variables: '{"on":true}',
          operationName: 'Q',
          extensions: '{"a":1}',
        },
        headers: preflight,
      });
      expect([ok.status, ok.body]).toEqual([200, { data: { __typename: 'Query' } }]);
    });

    it('takes an empty operationName as none', async () => {
      const res = await send({ search: { query: '{ __typename }', operationName: '' }, headers: preflight });
      expect([res.status, res.body]).toEqual([200, { data: { __typename: 'Query' } }]);
    });

    it.each([
      ['variables that are not JSON', { query: '{ __typename }', variables: '{' }],
      ['variables that are not an object', { query: '{ __typename }', variables: '[1]' }],
      ['extensions that are not JSON', { query: '{ __typename }', extensions: 'x' }],
      ['no query', { variables: '{}' }],
      ['an empty query', { query: '' }],
    ])('refuses %s with 400', async (_, search) => {
      const res = await send({ search, headers: preflight });
      expect(res.status).toBe(400);
      expect(codesOf(res.body)).toEqual(['MOSAIC_ERR_BAD_REQUEST']);
    });

    it('refuses a repeated parameter with 400', async () => {
      const res = await fetch(`${gw.url}?query=%7B__typename%7D&query=%7B__typename%7D`, { headers: preflight });
      expect(res.status).toBe(400);
      expect(codesOf(await res.json())).toEqual(['MOSAIC_ERR_BAD_REQUEST']);
    });

    it('refuses a mutation with 405 and Allow: POST, without running it', async () => {
      cloud.resetStats();
      const res = await send({ search: { query: 'mutation { login(username: "alice", password: "alice") { token } }' }, headers: preflight });
      expect([res.status, res.allow]).toEqual([405, 'POST']);
      expect(codesOf(res.body)).toEqual(['MOSAIC_ERR_METHOD_NOT_ALLOWED']);
      expect((await statsOf(cloud, 'keystone')).total).toBe(0);
      const named = await send({ search: { query: 'query A { __typename } mutation B { __typename }', operationName: 'B' }, headers: preflight });
      expect(named.status).toBe(405);
    });
  });

  describe('POST', () => {
    it.each([
      ['an array', '[{"query": "{ __typename }"}]'],
      ['a string', '"{ __typename }"'],
      ['a number', '1'],
      ['null', 'null'],
      ['no query', '{"variables": {}}'],
      ['a query that is not a string', '{"query": ["{ __typename }"]}'],
      ['an operationName that is not a string', '{"query": "{ __typename }", "operationName": 1}'],
      ['variables that are not an object', '{"query": "{ __typename }", "variables": "{}"}'],
      ['extensions that are not an object', '{"query": "{ __typename }", "extensions": []}'],
    ])('refuses a body that is %s with 400', async (_, body) => {
      const res = await send({ body, headers: json });
      expect(res.status).toBe(400);
      expect(codesOf(res.body)).toEqual(['MOSAIC_ERR_BAD_REQUEST']);
    });

    it('takes null operationName, variables and extensions as absent', async () => {
      const body = JSON.stringify({ query: '{ __typename }', operationName: null, variables: null, extensions: null });
      const res = await send({ body, headers: json });
      expect([res.status, res.body]).toEqual([200, { data: { __typename: 'Query' } }]);
    });

    it('refuses a body with no Content-Type, or another media type, with 415', async () => {
      for (const contentType of [undefined, 'application/graphql', 'application/xml']) {
        const res = await fetch(gw.url, {
          method: 'POST',
          headers: { 'x-mosaic-csrf': '1', ...(contentType ? { 'content-type': contentType } : {}) },
          body: new Blob(['{ __typename }']),
        });
        expect(res.status).toBe(415);
        expect(codesOf(await res.json())).toEqual(['MOSAIC_ERR_UNSUPPORTED_MEDIA_TYPE']);
      }
    });
  });

  it.each(['PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'])('answers %s with 405 and Allow: GET, POST', async (method) => {
    const res = await fetch(gw.url, { method, headers: json });
    expect([res.status, res.headers.get('allow')]).toEqual([405, 'GET, POST']);
    if (method !== 'HEAD') expect(codesOf(await res.json())).toEqual(['MOSAIC_ERR_METHOD_NOT_ALLOWED']);
  });
});
