// Limits that bound the work a request can cause, checked before any upstream call, on both runtimes: the shape
// of the operation (depth, aliases, root fields, directives — fragments expanded, in linear time), the length of
// the query in tokens, and HTTP-level mistakes answered as client errors with stable codes, never INTERNAL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSchema, parse, specifiedRules, validate } from 'graphql';
import { issueToken, startTestCloud, type DemoCloud } from '../helpers/cloud.ts';
import { RUNTIMES, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { queryLimitsRule } from '../../server/limits/query-limits.ts';
import { readTypeDefs } from '../../server/schema.ts';
import { countTokens } from '../../server/http/request-guard.ts';

const LIMITS = { maxDepth: 12, maxAliases: 30, maxRootFields: 20, maxDirectives: 30 };

/** `levels` fragments, each spreading the next twice: 2^levels fields once expanded. */
function doublingFragments(levels: number, leaf = 'zones { name }'): string {
  const fragments = Array.from({ length: levels }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`);
  return `query { ...F0 }\n${fragments.join('\n')}\nfragment F${levels} on Query { ${leaf} }`;
}

describe('the query limits rule', () => {
  const schema = buildSchema(readTypeDefs());
  const check = (query: string) => validate(schema, parse(query), [...specifiedRules, queryLimitsRule(LIMITS)]);

  it('measures each fragment once, so a doubling chain of 60 fragments is checked at once', () => {
    // Expanded, this is 2^60 selections; a rule that re-walks every spread would never return.
    expect(check(doublingFragments(60))).toEqual([]);
  });

  it('counts aliases of the expanded operation, through fragments', () => {
    const errors = check(doublingFragments(5, 'a: zones { name } b: zones { name }')); // 2^5 × 2 = 64 aliases
    expect(errors.map((e) => e.extensions.mosaicCode)).toEqual(['MOSAIC_ERR_TOO_MANY_ALIASES']);
    expect(errors[0].message).toBe('Query uses 64 aliases; the limit is 30.');
  });

  it('counts root fields and directives through fragments, and depth through inline fragments', () => {
    // Root fields are distinct response keys: R spread twice is still 11 fields, but its aliases count twice.
    const roots = check(`{ ...R ...R } fragment R on Query { ${Array.from({ length: 11 }, (_, i) => `z${i}: zones { name }`).join(' ')} }`);
    expect(roots.map((e) => e.extensions.mosaicCode)).toEqual([]);
    const moreRoots = check(
      `{ ...R ...S } fragment R on Query { ${Array.from({ length: 11 }, (_, i) => `r${i}: zones { name }`).join(' ')} } fragment S on Query { ${Array.from({ length: 10 }, (_, i) => `s${i}: zones { name }`).join(' ')} }`,
    );
    expect(moreRoots.map((e) => e.extensions.mosaicCode)).toEqual(['MOSAIC_ERR_TOO_MANY_ROOT_FIELDS']);
    const directives = check(`{ zones { ${Array.from({ length: 31 }, () => 'name @include(if: true)').join(' ')} } }`);
    expect(directives.map((e) => e.extensions.mosaicCode)).toEqual(['MOSAIC_ERR_TOO_MANY_DIRECTIVES']);
    let deep = 'name';
    for (let i = 0; i < 7; i++) deep = `zone { hosts { ... on Host { instances { host { ${deep} } } } } }`;
    expect(check(`{ instances { nodes { ${deep} } } }`).map((e) => e.extensions.mosaicCode)).toContain('MOSAIC_ERR_TOO_DEEP');
  });

  it('survives a fragment cycle (reported by graphql-js itself)', () => {
    const errors = check('{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }');
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((e) => e.extensions.mosaicCode === undefined)).toBe(true);
  });
});

describe('countTokens', () => {
  it('stops one token past the limit and leaves syntax errors to the runtime', () => {
    expect(countTokens('{ zones { name } }', 100)).toBe(6);
    expect(countTokens('{ a '.repeat(100_000), 10)).toBe(11);
    expect(countTokens('{ "unterminated', 10)).toBeNull();
  });
});

describe.each(RUNTIMES)('limits over HTTP on %s', (runtime) => {
  let cloud: DemoCloud;
  let gw: TestGateway;
  let token: string;

  beforeAll(async () => {
    cloud = await startTestCloud();
    gw = await startTestGateway(cloud, runtime, { server: { port: 0, runtime, bodyLimitBytes: 100_000, maxTokens: 1000 } });
    token = (await issueToken(cloud, 'admin')).token;
  });
  afterAll(async () => {
    await gw?.close();
    await cloud?.close();
  });

  /** POSTs a raw body, with the admin's token unless another (or null: none) is given. */
  const post = (body: string, contentType = 'application/json', as: string | null = token) =>
    fetch(gw.url, { method: 'POST', headers: { 'content-type': contentType, ...(as ? { 'x-auth-token': as } : {}) }, body });
  const codeOf = async (res: Response) => ((await res.json()) as any).errors.map((e: any) => e.extensions.mosaicCode);

  it('refuses an alias flood before any upstream call', async () => {
    cloud.resetStats();
    const query = `{ ${Array.from({ length: 31 }, (_, i) => `z${i}: zones { name }`).join(' ')} }`;
    const { status, body } = await gw.query(query, {}, token);
    expect(status).toBe(400);
    expect(body.errors!.map((e) => e.extensions.mosaicCode)).toContain('MOSAIC_ERR_TOO_MANY_ALIASES');
    const legacy = (await (await fetch(`${cloud.legacyUrl}/_emulator/stats`)).json()) as { total: number };
    expect(legacy.total).toBe(0);
  });

  it('answers a doubling fragment chain without a token with a coded error', async () => {
    const res = await post(JSON.stringify({ query: doublingFragments(22, 'a: __typename b: __typename') }));
    expect(res.status).toBe(400);
    expect(await codeOf(res)).toContain('MOSAIC_ERR_TOO_MANY_ALIASES');
  });

  it('refuses a query longer than maxTokens', async () => {
    const res = await post(JSON.stringify({ query: `{ ${'__typename '.repeat(1001)}}` }));
    expect(res.status).toBe(400);
    expect(await codeOf(res)).toEqual(['MOSAIC_ERR_TOO_MANY_TOKENS']);
  });

  it('lets only callers with a valid token introspect the schema; __typename stays open', async () => {
    const anonymous = await post(JSON.stringify({ query: '{ __schema { queryType { name } } }' }), 'application/json', null);
    expect(anonymous.status).toBe(400);
    expect(await codeOf(anonymous)).toEqual(['MOSAIC_ERR_INTROSPECTION_OFF']);
    const forged = await post(JSON.stringify({ query: '{ __type(name: "Host") { name } }' }), 'application/json', 'not-a-token');
    expect(await codeOf(forged)).toEqual(['MOSAIC_ERR_INTROSPECTION_OFF']);
    const typename = await post(JSON.stringify({ query: '{ __typename }' }), 'application/json', null);
    expect(((await typename.json()) as any).data).toEqual({ __typename: 'Query' });
    const { body } = await gw.query('{ __schema { queryType { name } } }', {}, token);
    expect(body.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
  });

  it('keeps "Did you mean" hints from callers without a valid token', async () => {
    const typo = JSON.stringify({ query: '{ zones { nmae } }' });
    const anonymous = (await (await post(typo, 'application/json', null)).json()) as any;
    expect(anonymous.errors[0].message).toBe('Cannot query field "nmae" on type "Zone".');
    const known = (await (await post(typo)).json()) as any;
    expect(known.errors[0].message).toBe('Cannot query field "nmae" on type "Zone". Did you mean "name"?');
  });

  it('takes at most server.maxNodeIds ids in nodes()', async () => {
    const ids = Array.from({ length: 101 }, (_, i) => `id-${i}`);
    const { body } = await gw.query('query ($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids }, token);
    expect(body.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', mosaicCode: 'MOSAIC_ERR_BAD_ARGUMENT' });
    expect(body.errors![0].message).toBe('nodes takes at most 100 ids (got 101)');
  });

  it('stops at the upstream-call budget: fields past it fail, coded, and the rest of the answer stands', async () => {
    const small = await startTestGateway(cloud, runtime, { server: { port: 0, runtime, maxUpstreamCalls: 3 } });
    try {
      // Warm the token cache, so the budget is spent on the query alone.
      await small.query('{ viewer { userName } }', {}, token);
      const disks = cloud.cloud.legacyDisks.slice(0, 6).map((d) => Buffer.from(`Disk:legacy:${d.id}`).toString('base64url'));
      cloud.resetStats();
      const { body } = await small.query('query ($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: disks }, token);
      const legacy = (await (await fetch(`${cloud.legacyUrl}/_emulator/stats`)).json()) as { total: number };
      expect(legacy.total).toBe(3);
      expect(body.data!.nodes.filter((n: unknown) => n !== null)).toHaveLength(3);
      expect(body.errors!.map((e) => e.extensions.mosaicCode)).toEqual(['MOSAIC_ERR_TOO_COSTLY', 'MOSAIC_ERR_TOO_COSTLY', 'MOSAIC_ERR_TOO_COSTLY']);
    } finally {
      await small.close();
    }
  });

  it.each([
    ['malformed JSON', '{"query": ', 'application/json', 400, 'MOSAIC_ERR_BAD_REQUEST'],
    ['a query that is not a string', '{"query": 1}', 'application/json', 400, 'MOSAIC_ERR_BAD_REQUEST'],
    ['a form-encoded body', 'query=%7B__typename%7D', 'application/x-www-form-urlencoded', 415, 'MOSAIC_ERR_UNSUPPORTED_MEDIA_TYPE'],
    [
      'a multipart body',
      '--x\r\nContent-Disposition: form-data; name="query"\r\n\r\n{__typename}\r\n--x--',
      'multipart/form-data; boundary=x',
      415,
      'MOSAIC_ERR_UNSUPPORTED_MEDIA_TYPE',
    ],
    [
      'a body over the limit',
      JSON.stringify({ query: '{ __typename }', padding: 'x'.repeat(200_000) }),
      'application/json',
      413,
      'MOSAIC_ERR_BODY_TOO_LARGE',
    ],
  ])('answers %s as a client error with its status and code', async (_, body, contentType, status, code) => {
    const res = await post(body, contentType);
    expect(res.status).toBe(status);
    expect(await codeOf(res)).toEqual([code]);
  });
});
