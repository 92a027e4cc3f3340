// The gateway as an HTTP server, on both runtimes: health and readiness, the offline GraphiQL page, query depth
// limits, parse and validation errors, login and the two token headers; then config validation and the
// `mosaic schema` command, which do not depend on the runtime.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { buildSchema } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken, startTestCloud, type DemoCloud } from '../helpers/cloud.ts';
import { RUNTIMES, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { ConfigError, validateConfig } from '../../core/config.ts';
import { readTypeDefs } from '../../server/schema.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** A small depth limit so queries at and past it stay cheap to run. */
const MAX_DEPTH = 6;
const STACK_FRAME = /(^|\n)\s*at \S|\bat \S+ \(|:\d+:\d+\)/;

let cloud: DemoCloud;
let admin: string;
beforeAll(async () => {
  cloud = await startTestCloud();
  admin = (await issueToken(cloud, 'admin')).token;
});
afterAll(() => cloud?.close());

describe.each(RUNTIMES)('the gateway server on %s', (runtime) => {
  let gw: TestGateway;
  let base: string;
  beforeAll(async () => {
    gw = await startTestGateway(cloud, runtime, { server: { port: 0, runtime, maxDepth: MAX_DEPTH } });
    base = gw.url.replace(/\/graphql$/, '');
  });
  afterAll(() => gw?.close());

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(gw.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }).then(async (res) => ({
      status: res.status,
      body: (await res.json()) as { data?: any; errors?: any[] },
    }));

  it('answers /healthz with 200', async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', runtime });
  });

  it('is ready when the upstreams are up and names the failing check when legacy is down', async () => {
    const up = await fetch(`${base}/readyz`);
    expect(up.status).toBe(200);
    expect(await up.json()).toMatchObject({
      ready: true,
      checks: { keystone: { ok: true }, legacy: { ok: true } },
      // Breakers and the shared store are reported, never a reason to leave the load balancer.
      info: { breakers: { keystone: 'closed' }, store: { kind: 'memory', ok: true } },
    });
    cloud.setFaults('legacy', { down: true });
    let down: Response;
    try {
      down = await fetch(`${base}/readyz`);
    } finally {
      cloud.setFaults('legacy', { down: false });
    }
    expect(down.status).toBe(503);
    const body = await down.json();
    expect(body).toMatchObject({ ready: false, checks: { keystone: { ok: true }, legacy: { ok: false } } });
    expect(typeof body.checks.legacy.detail).toBe('string');
    expect(JSON.stringify(body)).not.toContain(cloud.legacyApiKey);
  });

  it('serves GraphiQL as one self-contained page with no CDN', async () => {
    const res = await fetch(`${base}/graphiql`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const page = await res.text();
    expect(page).toMatch(/<html/i);
    expect(page).toContain('/graphql');
    expect(page).not.toMatch(/<script[^>]+src=["']?(https?:)?\/\//i);
    expect(page).not.toMatch(/<link[^>]+href=["']?(https?:)?\/\//i);
    expect(page).not.toMatch(/unpkg|jsdelivr|cdnjs|googleapis|cdn\./i);
  });

  it('runs a query at the depth limit and rejects one level deeper with BAD_USER_INPUT', async () => {
    // zones(1) hosts(2) instances(3) image(4) … ; each `disks { instance { … } }` adds two levels.
    const atLimit = '{ zones { hosts { instances { disks { instance { name } } } } } }';
    const tooDeep = '{ zones { hosts { instances { disks { instance { image { name } } } } } } }';
    const ok = await gw.query(atLimit, {}, admin);
    expect(ok.body.errors).toBeUndefined();
    expect(ok.body.data.zones.length).toBe(cloud.cloud.zones.length);
    const rejected = await gw.query(tooDeep, {}, admin);
    expect(rejected.body.data ?? null).toBeNull();
    expect(rejected.body.errors).toHaveLength(1);
    expect(rejected.body.errors![0].extensions.code).toBe('BAD_USER_INPUT');
    expect(rejected.body.errors![0].message).toContain(`limit is ${MAX_DEPTH}`);
  });

  it('explains a syntax error with its location and no stack', async () => {
    const { status, body } = await gw.query('{ zones { name ', {}, admin);
    expect(status).toBe(400);
    expect(body.errors).toHaveLength(1);
    const [error] = body.errors!;
    expect(error.message).toMatch(/^Syntax Error: /);
    expect(error.locations).toEqual([{ line: 1, column: 16 }]);
    expect(error.extensions).toEqual({ code: 'GRAPHQL_PARSE_FAILED' });
    expect(JSON.stringify(body)).not.toMatch(STACK_FRAME);
  });

  it('names an unknown field and its type, with no stack', async () => {
    const { status, body } = await gw.query('{ zones { name nonsense } }', {}, admin);
    expect(status).toBe(400);
    expect(body.errors).toHaveLength(1);
    expect(body.errors![0].message).toBe('Cannot query field "nonsense" on type "Zone".');
    expect(body.errors![0].extensions).toEqual({ code: 'GRAPHQL_VALIDATION_FAILED' });
    expect(JSON.stringify(body)).not.toMatch(STACK_FRAME);
  });

  it('logs in with a password and returns a token that works as X-Auth-Token', async () => {
    const login = await gw.query('mutation { login(username: "alice", password: "alice") { token expiresAt viewer { userName } } }');
    expect(login.body.errors).toBeUndefined();
    const { token, expiresAt, viewer } = login.body.data.login;
    expect(viewer).toEqual({ userName: 'alice' });
    expect(Date.parse(expiresAt)).toBeGreaterThan(Date.now());
    expect(cloud.cloud.tokens.has(token)).toBe(true);
    const me = await gw.query('{ viewer { userName isAdmin } }', {}, token);
    expect(me.body).toEqual({ data: { viewer: { userName: 'alice', isAdmin: false } } });
  });

  it('refuses a wrong password with UNAUTHENTICATED', async () => {
    const { body } = await gw.query('mutation { login(username: "alice", password: "wrong") { token } }');
    expect(body.data ?? null).toBeNull();
    expect(body.errors![0].path).toEqual(['login']);
    expect(body.errors![0].extensions.code).toBe('UNAUTHENTICATED');
    expect(JSON.stringify(body)).not.toContain('wrong');
  });

  it('accepts Authorization: Bearer like X-Auth-Token, and nothing as UNAUTHENTICATED', async () => {
    const query = { query: '{ viewer { userName isAdmin } }' };
    const viaHeader = await post(query, { 'x-auth-token': admin });
    const viaBearer = await post(query, { authorization: `Bearer ${admin}` });
    expect(viaHeader.body).toEqual({ data: { viewer: { userName: 'admin', isAdmin: true } } });
    expect(viaBearer.body).toEqual(viaHeader.body);
    const anonymous = await post(query);
    expect(anonymous.body.errors![0].extensions.code).toBe('UNAUTHENTICATED');
    const forged = await post(query, { authorization: 'Bearer not-a-token' });
    expect(forged.body.errors![0].extensions.code).toBe('UNAUTHENTICATED');
  });
});

describe('config validation', () => {
  it('fills in defaults, letting each upstream override upstreams.default', () => {
    const config = validateConfig({ upstreams: { default: { timeoutMs: 1000 }, nova: { retries: 0 } } });
    expect(config.server).toMatchObject({ runtime: 'mercurius', maxDepth: 12, graphiql: true });
    expect(config.upstreams.nova).toEqual({ timeoutMs: 1000, retries: 0 });
    expect(config.upstreams.glance).toEqual({ timeoutMs: 1000, retries: 2 });
  });

  it.each([
    ['a negative upstream timeout', { upstreams: { nova: { timeoutMs: -1 } } }, '"upstreams.nova.timeoutMs"'],
    ['an unknown runtime', { server: { runtime: 'express' } }, '"server.runtime"'],
    ['an unknown top-level key', { servers: {} }, '"servers"'],
    ['an unknown upstream', { upstreams: { swift: { timeoutMs: 1 } } }, '"upstreams.swift"'],
    ['a non-http Keystone URL', { keystone: { url: 'ftp://keystone' } }, '"keystone.url"'],
    ['a URL budget below 512 bytes', { batching: { maxUrlBytes: 100 } }, '"batching.maxUrlBytes"'],
    ['a section that is not a mapping', { legacy: 'http://legacy' }, '"legacy"'],
    ['a fractional depth limit', { server: { maxDepth: 2.5 } }, '"server.maxDepth"'],
    ['a typo inside a section', { server: { prot: 4000 } }, '"server.prot"'],
    ['a misspelt batching option', { batching: { concurency: 4 } }, '"batching.concurency"'],
    ['an unknown introspection rule', { security: { introspection: 'sometimes' } }, '"security.introspection"'],
    ['an unknown option of one upstream', { upstreams: { nova: { timeout: 10 } } }, '"upstreams.nova.timeout"'],
  ])('rejects %s, naming the option', (_, raw, path) => {
    expect(() => validateConfig(raw as Record<string, unknown>)).toThrow(ConfigError);
    expect(() => validateConfig(raw as Record<string, unknown>)).toThrow(path);
  });
});

describe('validated config', () => {
  it('is frozen, so nothing can change it after start-up', () => {
    const config = validateConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.upstreams.nova)).toBe(true);
    expect(() => {
      (config.server as { port: number }).port = 1;
    }).toThrow(TypeError);
  });
});

describe('mosaic schema', () => {
  it('prints the SDL the gateway serves', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['bin/mosaic.js', 'schema'], { cwd: ROOT, timeout: 20_000 });
    expect(stdout).toBe(readTypeDefs());
    const schema = buildSchema(stdout);
    expect(Object.keys(schema.getQueryType()!.getFields())).toEqual(expect.arrayContaining(['node', 'nodes', 'zones', 'instances', 'fleet']));
  }, 30_000);
});
