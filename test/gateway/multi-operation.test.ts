// A document with several operations runs the one the request names, every time, on both runtimes: Mercurius
// caches and JIT-compiles per document text (server/http/operation-cache-key.ts), so without the operation in
// that key the first operation compiled would answer for every other one, a mutation included, over GET too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken, startTestCloud, type DemoCloud } from '../helpers/cloud.ts';
import { RUNTIMES, startTestGateway, type TestGateway } from '../helpers/gateway.ts';

const DOCUMENT = `
  query Zones { zones { name } }
  query Me { viewer { userName isAdmin } }
  mutation Login($u: String!, $p: String!) { login(username: $u, password: $p) { viewer { userName } } }
`;

let cloud: DemoCloud;
let admin: string;
beforeAll(async () => {
  cloud = await startTestCloud();
  admin = (await issueToken(cloud, 'admin')).token;
});
afterAll(() => cloud?.close());

describe.each(RUNTIMES)('a document with several operations on %s', (runtime) => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway(cloud, runtime);
  });
  afterAll(() => gw?.close());

  const post = async (operationName: string, variables?: Record<string, unknown>) => {
    const res = await fetch(gw.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-auth-token': admin },
      body: JSON.stringify({ query: DOCUMENT, operationName, variables }),
    });
    return (await res.json()) as { data?: Record<string, any>; errors?: { message: string }[] };
  };

  it('runs the named operation after another one of the same text was compiled', async () => {
    // Past any JIT threshold for Zones first, then Me: each must answer its own fields.
    for (let i = 0; i < 4; i++) expect(Object.keys((await post('Zones')).data ?? {})).toEqual(['zones']);
    for (let i = 0; i < 4; i++) {
      const body = await post('Me');
      expect(body.errors).toBeUndefined();
      expect(body.data).toEqual({ viewer: { userName: 'admin', isAdmin: true } });
    }
  });

  it('never runs a mutation over GET because a query of the same text was compiled', async () => {
    const url = new URL(gw.url);
    url.searchParams.set('query', DOCUMENT);
    for (let i = 0; i < 4; i++) {
      url.searchParams.set('operationName', 'Zones');
      const ok = await fetch(url, { headers: { 'x-auth-token': admin, accept: 'application/json' } });
      expect(((await ok.json()) as any).data.zones.length).toBeGreaterThan(0);
    }
    url.searchParams.set('operationName', 'Login');
    url.searchParams.set('variables', JSON.stringify({ u: 'admin', p: 'admin' }));
    const res = await fetch(url, { headers: { 'x-auth-token': admin, accept: 'application/json' } });
    expect(res.status).toBe(405);
  });

  it('refuses an operationName that is not a GraphQL name without running anything', async () => {
    const body = await post('Zones\n{ viewer { userName } }');
    expect(body.data ?? null).toBeNull();
    expect(body.errors?.[0].message).toMatch(/operation/i);
  });
});
