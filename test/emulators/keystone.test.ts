// Contract tests of the Keystone v3 emulator: the token body field for field as the API reference sample in
// test/fixtures, the token only in X-Subject-Token, scoping rules, validation/revocation/expiry, the catalog
// built from the cloud's endpoints, projects and their policy, revocation events (OS-REVOKE) and password
// changes, and Keystone's error shape.
// Runs against real clouds on loopback.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken, startTestCloud, type DemoCloud } from '../helpers/cloud.ts';

const SAMPLE = JSON.parse(
  readFileSync(new URL('../fixtures/openstack-samples/keystone/auth-password-project-scoped-response.json', import.meta.url), 'utf8'),
).token;
const KEYSTONE_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;
const PROJECT_KEYS = ['description', 'domain_id', 'enabled', 'id', 'is_domain', 'links', 'name', 'options', 'parent_id', 'tags'];
const keys = (o: object) => Object.keys(o).sort();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let demo: DemoCloud;
beforeAll(async () => {
  demo = await startTestCloud();
});
afterAll(() => demo?.close());

const passwordAuth = (user: Record<string, unknown>, scope?: unknown) => ({
  auth: { identity: { methods: ['password'], password: { user } }, ...(scope ? { scope } : {}) },
});
async function post(body: unknown, query = '', cloud = demo) {
  const res = await fetch(`${cloud.keystoneUrl}/auth/tokens${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined, text };
}
async function call(path: string, headers: Record<string, string>, method = 'GET', cloud = demo) {
  const res = await fetch(`${cloud.keystoneUrl}${path}`, { method, headers });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined, text };
}

describe('password authentication', () => {
  it('answers 201 with the token only in X-Subject-Token and a body shaped exactly like the sample', async () => {
    const r = await post(
      passwordAuth({ name: 'alice', domain: { id: 'default' }, password: 'alice' }, { project: { name: 'web', domain: { id: 'default' } } }),
    );
    expect(r.status).toBe(201);
    const token = r.headers.get('x-subject-token')!;
    expect(token).toMatch(/^gAAAAA[A-Za-z0-9_-]{170,}$/);
    expect(r.text).not.toContain(token);
    const t = r.json.token;
    expect(keys(t)).toEqual(keys(SAMPLE));
    expect(t.methods).toEqual(['password']);
    expect(t.roles.map((x: any) => x.name).sort()).toEqual(['member', 'reader']);
    for (const role of t.roles) expect(keys(role)).toEqual(['id', 'name']);
    expect(keys(t.project)).toEqual(keys(SAMPLE.project));
    expect(t.project).toMatchObject({ name: 'web', domain: { id: 'default', name: 'Default' } });
    expect(keys(t.user)).toEqual(keys(SAMPLE.user));
    expect(t.user.name).toBe('alice');
    expect(t.is_domain).toBe(false);
    expect(t.expires_at).toMatch(KEYSTONE_TIME);
    expect(t.issued_at).toMatch(KEYSTONE_TIME);
    expect(Date.parse(t.expires_at) - Date.parse(t.issued_at)).toBe(demo.cloud.tokenTtlMs);
    expect(t.audit_ids).toHaveLength(1);
    for (const service of t.catalog) {
      expect(keys(service)).toEqual(keys(SAMPLE.catalog[0]));
      for (const e of service.endpoints) expect(keys(e)).toEqual(keys(SAMPLE.catalog[0].endpoints[0]));
    }
  });

  it('builds the catalog from the cloud endpoints, with the token project substituted', async () => {
    const alice = await issueToken(demo, 'alice');
    const catalog = alice.body.token.catalog;
    const compute = catalog.find((s: any) => s.type === 'compute');
    expect(compute.endpoints.map((e: any) => e.interface).sort()).toEqual(['admin', 'internal', 'public']);
    expect(compute.endpoints[0]).toMatchObject({ url: `${demo.urls.nova}/v2.1`, region: 'RegionOne', region_id: 'RegionOne' });
    const volume = catalog.find((s: any) => s.type === 'volumev3');
    expect(volume.endpoints[0].url).toBe(`${demo.urls.cinder}/v3/${alice.body.token.project.id}`);
  });

  it('omits the catalog with ?nocatalog', async () => {
    const r = await post(passwordAuth({ name: 'bob', domain: { name: 'Default' }, password: 'bob' }), '?nocatalog');
    expect(r.status).toBe(201);
    expect(r.json.token).not.toHaveProperty('catalog');
  });

  it('accepts a user and a project by id, and scopes an unscoped request to the default project', async () => {
    const bob = demo.cloud.users.find((u) => u.name === 'bob')!;
    const byId = await post(passwordAuth({ id: bob.id, password: 'bob' }, { project: { id: bob.projectId } }));
    expect(byId.status).toBe(201);
    expect(byId.json.token.project.id).toBe(bob.projectId);
    const unscoped = await post(passwordAuth({ id: bob.id, password: 'bob' }));
    expect(unscoped.json.token.project.id).toBe(bob.projectId);
  });

  it('gives admin the admin role on any project', async () => {
    const r = await post(
      passwordAuth({ name: 'admin', domain: { id: 'default' }, password: 'admin' }, { project: { name: 'web', domain: { id: 'default' } } }),
    );
    expect(r.status).toBe(201);
    expect(r.json.token.project.name).toBe('web');
    expect(r.json.token.roles.map((x: any) => x.name)).toContain('admin');
  });

  it('refuses a member scoping to another project, a wrong password and an unknown user with 401', async () => {
    const other = await post(
      passwordAuth({ name: 'alice', domain: { id: 'default' }, password: 'alice' }, { project: { name: 'data', domain: { id: 'default' } } }),
    );
    expect(other.status).toBe(401);
    expect(other.json.error).toMatchObject({ code: 401, title: 'Unauthorized' });
    const wrong = await post(passwordAuth({ name: 'alice', domain: { id: 'default' }, password: 'nope' }));
    expect(wrong.status).toBe(401);
    expect(wrong.json).toEqual({ error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } });
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Keystone uri=/);
    expect((await post(passwordAuth({ name: 'mallory', domain: { id: 'default' }, password: 'x' }))).status).toBe(401);
  });

  it('answers a malformed body with 400 in the same error shape', async () => {
    const broken = await post('{"auth":');
    expect(broken.status).toBe(400);
    expect(broken.json.error).toMatchObject({ code: 400, title: 'Bad Request' });
    const noIdentity = await post({ auth: {} });
    expect(noIdentity.status).toBe(400);
    expect(noIdentity.json.error.message).toContain('identity');
    const nameWithoutDomain = await post(passwordAuth({ name: 'alice', password: 'alice' }));
    expect(nameWithoutDomain.status).toBe(400);
  });
});

describe('token validation and revocation', () => {
  it('validates a token with 200, the same body and X-Subject-Token; HEAD without a body', async () => {
    const alice = await issueToken(demo, 'alice');
    const r = await call('/auth/tokens', { 'x-auth-token': alice.token, 'x-subject-token': alice.token });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-subject-token')).toBe(alice.token);
    expect(r.json).toEqual(alice.body);
    const head = await call('/auth/tokens', { 'x-auth-token': alice.token, 'x-subject-token': alice.token }, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    const noCatalog = await call('/auth/tokens?nocatalog', { 'x-auth-token': alice.token, 'x-subject-token': alice.token });
    expect(noCatalog.json.token).not.toHaveProperty('catalog');
  });

  it("answers 404 for an unknown subject, 401 for a bad X-Auth-Token, 403 for another user's token", async () => {
    const [admin, alice, bob] = await Promise.all([issueToken(demo, 'admin'), issueToken(demo, 'alice'), issueToken(demo, 'bob')]);
    const unknown = await call('/auth/tokens', { 'x-auth-token': admin.token, 'x-subject-token': 'gAAAAAnope' });
    expect(unknown.status).toBe(404);
    expect(unknown.json).toEqual({ error: { code: 404, title: 'Not Found', message: 'Could not find token: gAAAAAnope.' } });
    expect((await call('/auth/tokens', { 'x-auth-token': 'bogus', 'x-subject-token': alice.token })).status).toBe(401);
    const nosy = await call('/auth/tokens', { 'x-auth-token': alice.token, 'x-subject-token': bob.token });
    expect(nosy.status).toBe(403);
    expect(nosy.json.error).toMatchObject({ code: 403, title: 'Forbidden' });
    expect((await call('/auth/tokens', { 'x-auth-token': admin.token, 'x-subject-token': bob.token })).status).toBe(200);
  });

  it('revokes with DELETE (204): the token no longer validates nor opens Nova', async () => {
    const [admin, bob] = await Promise.all([issueToken(demo, 'admin'), issueToken(demo, 'bob')]);
    expect((await call('/auth/tokens', { 'x-auth-token': bob.token, 'x-subject-token': bob.token }, 'DELETE')).status).toBe(204);
    expect((await call('/auth/tokens', { 'x-auth-token': admin.token, 'x-subject-token': bob.token })).status).toBe(404);
    expect((await fetch(`${demo.urls.nova}/v2.1/servers`, { headers: { 'x-auth-token': bob.token } })).status).toBe(401);
  });

  it('expires tokens after tokenTtlMs: validation 404, other services 401', async () => {
    const short = await startTestCloud({ tokenTtlMs: 300 });
    try {
      const [admin, alice] = await Promise.all([issueToken(short, 'admin'), issueToken(short, 'alice')]);
      const check = () => call('/auth/tokens', { 'x-auth-token': admin.token, 'x-subject-token': alice.token }, 'GET', short);
      expect((await check()).status).toBe(200);
      await sleep(350);
      const admin2 = await issueToken(short, 'admin');
      const expired = await call('/auth/tokens', { 'x-auth-token': admin2.token, 'x-subject-token': alice.token }, 'GET', short);
      expect(expired.status).toBe(404);
      expect(expired.json.error.message).toBe(`Could not find token: ${alice.token}.`);
      expect(
        (await call('/auth/tokens?allow_expired=1', { 'x-auth-token': admin2.token, 'x-subject-token': alice.token }, 'GET', short)).status,
      ).toBe(200);
      expect((await fetch(`${short.urls.nova}/v2.1/servers`, { headers: { 'x-auth-token': alice.token } })).status).toBe(401);
    } finally {
      await short.close();
    }
  });
});

describe('revocation events (OS-REVOKE)', () => {
  const EVENT_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000000Z$/;
  const events = async (as: string, query = '') => call(`/OS-REVOKE/events${query}`, { 'x-auth-token': as });
  const revoke = async (as: string, subject: string) => {
    expect((await call('/auth/tokens', { 'x-auth-token': as, 'x-subject-token': subject }, 'DELETE')).status).toBe(204);
  };
  /** Waits until the wall clock is in a later second than `iso`: Keystone keeps revoked_at to the second. */
  const nextSecond = async (iso: string) => {
    while (Math.floor(Date.now() / 1000) * 1000 <= Date.parse(iso)) await sleep(50);
  };

  it('gives the service account the service role in the service project', async () => {
    const svc = await issueToken(demo, demo.keystoneServiceUser, demo.keystoneServicePassword, 'service');
    expect(svc.body.token.roles.map((r: any) => r.name)).toEqual(['service']);
    expect(svc.body.token.project.name).toBe('service');
  });

  it('lists an event with the audit id of a revoked token, in Keystone spelling, to the service account and admins', async () => {
    const [admin, svc, bob] = await Promise.all([
      issueToken(demo, 'admin'),
      issueToken(demo, demo.keystoneServiceUser, demo.keystoneServicePassword, 'service'),
      issueToken(demo, 'bob'),
    ]);
    const before = Date.now();
    await revoke(bob.token, bob.token);
    const r = await events(svc.token);
    expect(r.status).toBe(200);
    expect(r.json.links).toEqual({ next: null, self: `${demo.keystoneUrl}/OS-REVOKE/events`, previous: null });
    const mine = r.json.events.filter((e: any) => e.audit_id === bob.body.token.audit_ids[0]);
    expect(mine).toHaveLength(1);
    expect(keys(mine[0])).toEqual(['audit_id', 'issued_before', 'revoked_at']);
    expect(mine[0].revoked_at).toMatch(EVENT_TIME);
    expect(mine[0].issued_before).toBe(mine[0].revoked_at);
    expect(Date.parse(mine[0].revoked_at)).toBeGreaterThan(before - 1000);
    expect(Date.parse(mine[0].revoked_at)).toBeLessThanOrEqual(Date.now());
    expect((await events(admin.token)).json.events).toEqual(r.json.events);
  });

  it('keeps only events revoked strictly after ?since=, oldest first, and refuses a date it cannot read', async () => {
    const [admin, a, b] = await Promise.all([issueToken(demo, 'admin'), issueToken(demo, 'alice'), issueToken(demo, 'alice')]);
    await revoke(admin.token, a.token);
    const first = (await events(admin.token)).json.events.find((e: any) => e.audit_id === a.body.token.audit_ids[0]);
    await nextSecond(first.revoked_at);
    await revoke(admin.token, b.token);
    const all = (await events(admin.token)).json.events;
    expect(all.map((e: any) => e.revoked_at)).toEqual([...all.map((e: any) => e.revoked_at)].sort());
    const since = await events(admin.token, `?since=${encodeURIComponent(first.revoked_at)}`);
    expect(since.status).toBe(200);
    const audits = since.json.events.map((e: any) => e.audit_id);
    expect(audits).toContain(b.body.token.audit_ids[0]);
    expect(audits).not.toContain(a.body.token.audit_ids[0]);
    // Without a zone the time is UTC, as oslo reads it.
    const naive = await events(admin.token, `?since=${first.revoked_at.replace(/Z$/, '')}`);
    expect(naive.json.events).toEqual(since.json.events);
    expect((await events(admin.token, '?since=2999-01-01T00:00:00Z')).json.events).toEqual([]);
    const bad = await events(admin.token, '?since=yesterday');
    expect(bad.status).toBe(400);
    expect(bad.json).toEqual({ error: { code: 400, title: 'Bad Request', message: 'invalidate date format yesterday' } });
  });

  it('forbids a member the events (403) and asks for a token (401)', async () => {
    const alice = await issueToken(demo, 'alice');
    const r = await events(alice.token);
    expect(r.status).toBe(403);
    expect(r.json).toEqual({
      error: { code: 403, title: 'Forbidden', message: 'You are not authorized to perform the requested action: identity:list_revoke_events.' },
    });
    expect((await call('/OS-REVOKE/events', {})).status).toBe(401);
  });

  it("changes a password: the user's tokens end and a user_id event is listed", async () => {
    const dave = demo.cloud.users.find((u) => u.name === 'dave')!;
    const [admin, old] = await Promise.all([issueToken(demo, 'admin'), issueToken(demo, 'dave')]);
    const change = (original: string, password: string) =>
      fetch(`${demo.keystoneUrl}/users/${dave.id}/password`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user: { original_password: original, password } }),
      });
    const wrong = await change('not-it', 'x');
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as any).error).toMatchObject({ code: 401, title: 'Unauthorized' });
    expect((await change('dave', 'dave-2')).status).toBe(204);
    expect((await call('/auth/tokens', { 'x-auth-token': admin.token, 'x-subject-token': old.token })).status).toBe(404);
    expect((await post(passwordAuth({ name: 'dave', domain: { id: 'default' }, password: 'dave' }))).status).toBe(401);
    expect((await post(passwordAuth({ name: 'dave', domain: { id: 'default' }, password: 'dave-2' }))).status).toBe(201);
    const event = (await events(admin.token)).json.events.find((e: any) => e.user_id === dave.id);
    expect(keys(event)).toEqual(['issued_before', 'revoked_at', 'user_id']);
    expect(Date.parse(event.issued_before)).toBeLessThanOrEqual(Date.now());
    expect((await change('dave-2', 'dave')).status).toBe(204);
  });
});

describe('projects', () => {
  it('lists projects to admins in Keystone spelling, with a name filter', async () => {
    const admin = await issueToken(demo, 'admin');
    const r = await call('/projects', { 'x-auth-token': admin.token });
    expect(r.status).toBe(200);
    expect(r.json.projects).toHaveLength(demo.cloud.projects.length);
    for (const p of r.json.projects) {
      expect(keys(p)).toEqual(PROJECT_KEYS);
      expect(p.links.self).toBe(`${demo.keystoneUrl}/projects/${p.id}`);
      expect(p).toMatchObject({ domain_id: 'default', enabled: true, is_domain: false, parent_id: 'default', tags: [] });
    }
    expect(r.json.links).toEqual({ self: `${demo.keystoneUrl}/projects`, previous: null, next: null });
    const web = await call('/projects?name=web', { 'x-auth-token': admin.token });
    expect(web.json.projects.map((p: any) => p.name)).toEqual(['web']);
  });

  it('forbids members the project list, and other projects than their own', async () => {
    const alice = await issueToken(demo, 'alice');
    const list = await call('/projects', { 'x-auth-token': alice.token });
    expect(list.status).toBe(403);
    expect(list.json).toEqual({
      error: { code: 403, title: 'Forbidden', message: 'You are not authorized to perform the requested action: identity:list_projects.' },
    });
    const own = await call(`/projects/${alice.body.token.project.id}`, { 'x-auth-token': alice.token });
    expect(own.status).toBe(200);
    expect(own.json.project.name).toBe('web');
    const data = demo.cloud.projects.find((p) => p.name === 'data')!;
    expect((await call(`/projects/${data.id}`, { 'x-auth-token': alice.token })).status).toBe(403);
  });

  it('answers 404 to an admin asking for an unknown project', async () => {
    const admin = await issueToken(demo, 'admin');
    const r = await call('/projects/0000', { 'x-auth-token': admin.token });
    expect(r.status).toBe(404);
    expect(r.json.error).toMatchObject({ code: 404, title: 'Not Found' });
  });

  it('lists the projects a user can scope to on /auth/projects', async () => {
    const [admin, alice] = await Promise.all([issueToken(demo, 'admin'), issueToken(demo, 'alice')]);
    const mine = await call('/auth/projects', { 'x-auth-token': alice.token });
    expect(mine.json.projects.map((p: any) => p.name)).toEqual(['web']);
    const all = await call('/auth/projects', { 'x-auth-token': admin.token });
    expect(all.json.projects).toHaveLength(demo.cloud.projects.length);
  });

  it('serves the v3 version document', async () => {
    const r = await call('', {});
    expect(r.status).toBe(200);
    expect(r.json.version).toMatchObject({ id: 'v3.14', status: 'stable' });
  });
});
