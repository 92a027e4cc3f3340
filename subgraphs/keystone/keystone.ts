// The Keystone (Identity API v3) emulator: password/token authentication, token validation and revocation,
// the service catalog and projects. https://docs.openstack.org/api-ref/identity/v3/
//
// Contract highlights (as Keystone behaves):
//   POST /v3/auth/tokens → 201, token id ONLY in `X-Subject-Token`; body per token-body.ts.
//     No scope → the user's default project. Members may scope only to their own project (else 401); admin
//     holds the admin role on every project. Wrong user/password/project → 401; malformed body → 400.
//   GET|HEAD /v3/auth/tokens: `X-Auth-Token` must be valid (401); `X-Subject-Token` unknown, revoked or expired
//     → 404 (`?allow_expired=1` accepts expired ones); validating another user's token needs admin (403).
//   DELETE /v3/auth/tokens revokes the subject token (204) and records a revocation event for its audit id.
//   `?nocatalog` omits the catalog anywhere.
//   GET /v3/OS-REVOKE/events (identity:list_revoke_events: admin or service role, else 403): the events, oldest
//     first, `?since=` keeping those revoked strictly after it (400 for a date it cannot read); events are kept
//     while a token they could match may still be live, as Keystone prunes them.
//   POST /v3/users/{id}/password {"user": {"password", "original_password"}} (no token needed; 401 for a wrong
//     original password): changes it, ends the user's tokens and records a user_id event (204).
//   GET /v3/projects (admin; `name`, `domain_id`, `enabled` filters), /v3/projects/{id} (admin or own
//   project; 403 otherwise — before 404, as Keystone's policy runs on an empty target), /v3/auth/projects,
//   /v3/auth/catalog.
import { randomUUID } from 'node:crypto';
import { createEmulator, type Emulator, type EmulatorReply, type EmulatorRequest } from '../emulator/emulator-server.ts';
import { lookupToken } from '../emulator/openstack-auth.ts';
import type { Cloud, Token, User } from '../seed/types.ts';
import {
  catalogFor,
  forbidden,
  keystoneError,
  newAuditId,
  newTokenId,
  projectList,
  projectView,
  revocationEventView,
  tokenBody,
  type RevocationEvent,
} from './token-body.ts';

/** Keystone's allow_expired window (48 h); older tokens are forgotten. */
const EXPIRED_WINDOW_MS = 48 * 3_600_000;
/** [token] expiration_buffer (30 min): revocation events outlive the tokens they could match by this much. */
const EXPIRATION_BUFFER_MS = 1_800_000;
/**
 * What oslo's parse_isotime reads (an ISO 8601 date, optionally a time, fraction and zone), in ms; NaN otherwise.
 * A time without a zone is UTC, as normalize_time reads it.
 */
function parseIsoTime(text: string): number {
  const m = /^(\d{4}-\d\d-\d\d)(?:T(\d\d:\d\d(?::\d\d(?:\.\d+)?)?))?(Z|[+-]\d\d:?\d\d)?$/i.exec(text);
  if (!m) return NaN;
  const zone = !m[3] || m[3].toUpperCase() === 'Z' ? 'Z' : `${m[3].slice(0, 3)}:${m[3].slice(-2)}`;
  return Date.parse(`${m[1]}T${m[2] ?? '00:00'}${zone}`);
}

const UNAUTHENTICATED = 'The request you have made requires authentication.';
const malformed = (attribute: string, target: string) =>
  keystoneError(
    400,
    `Expecting to find ${attribute} in ${target}. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.`,
  );

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const header = (req: EmulatorRequest, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};
const inDefaultDomain = (domain: unknown) => isObj(domain) && (domain.id === 'default' || domain.name === 'Default');

export function createKeystone(cloud: Cloud): Emulator {
  const methodsOf = new Map<string, string[]>();
  const bodyCache = new Map<string, { catalog: unknown; json: string }>();
  /** Oldest first, as Keystone lists them (ordered by revoked_at). */
  const revocations: RevocationEvent[] = [];
  let issued = 0;

  const isAdmin = (t: Token) => t.roleNames.includes('admin');
  const userOf = (t: Token) => cloud.users.find((u) => u.id === t.userId);

  const tokenJson = (token: Token, withCatalog: boolean): string => {
    const key = `${token.id}|${withCatalog ? 1 : 0}`;
    const hit = bodyCache.get(key);
    if (hit && hit.catalog === cloud.catalog) return hit.json;
    const json = JSON.stringify(tokenBody(cloud, token, methodsOf.get(token.id) ?? ['password'], withCatalog));
    bodyCache.set(key, { catalog: cloud.catalog, json });
    return json;
  };
  const forget = (id: string) => {
    cloud.tokens.delete(id);
    methodsOf.delete(id);
    bodyCache.delete(`${id}|1`);
    bodyCache.delete(`${id}|0`);
  };
  const prune = () => {
    const horizon = Date.now() - EXPIRED_WINDOW_MS;
    for (const [id, t] of cloud.tokens) if (t.expiresAt.getTime() < horizon) forget(id);
  };

  /** Records an event as keystone's RevokeEvent does: revoked_at is now to the second, issued_before the same. */
  const recordRevocation = (criteria: Omit<RevocationEvent, 'issuedBefore' | 'revokedAt'>) => {
    const now = Date.now();
    const revokedAt = new Date(Math.floor(now / 1000) * 1000);
    revocations.push({ ...criteria, issuedBefore: revokedAt, revokedAt });
    const cutoff = now - cloud.tokenTtlMs - EXPIRATION_BUFFER_MS;
    while (revocations.length && revocations[0].revokedAt.getTime() < cutoff) revocations.shift();
  };

  /** The caller's token from X-Auth-Token, or a 401. */
  const caller = (req: EmulatorRequest): Token | EmulatorReply =>
    lookupToken(cloud, header(req, 'x-auth-token')) ?? keystoneError(401, UNAUTHENTICATED, req.origin);
  const isToken = (v: Token | EmulatorReply): v is Token => 'auditId' in v;

  function issue(req: EmulatorRequest): EmulatorReply {
    const auth = isObj(req.body) ? req.body.auth : undefined;
    if (!isObj(auth)) return malformed('auth', 'request body');
    const identity = auth.identity;
    if (!isObj(identity)) return malformed('identity', 'auth');
    const methods = identity.methods;
    if (!Array.isArray(methods) || methods.length === 0 || !methods.every((m) => typeof m === 'string')) return malformed('methods', 'identity');

    let user: User | undefined;
    let parent: Token | undefined;
    if (methods.includes('password')) {
      const pw = identity.password;
      if (!isObj(pw) || !isObj(pw.user)) return malformed('user', 'password');
      const u = pw.user;
      if (typeof u.password !== 'string') return malformed('password', 'user');
      if (typeof u.id === 'string') user = cloud.users.find((x) => x.id === u.id);
      else if (typeof u.name === 'string') {
        if (!isObj(u.domain)) return malformed('domain', 'user');
        user = inDefaultDomain(u.domain) ? cloud.users.find((x) => x.name === u.name) : undefined;
      } else return malformed('id or name', 'user');
      if (!user || user.password !== u.password) return keystoneError(401, UNAUTHENTICATED, req.origin);
    } else if (methods.includes('token')) {
      const t = identity.token;
      if (!isObj(t) || typeof t.id !== 'string') return malformed('id', 'token');
      parent = lookupToken(cloud, t.id);
      user = parent && cloud.users.find((x) => x.id === parent!.userId);
      if (!user) return keystoneError(401, UNAUTHENTICATED, req.origin);
    } else {
      return keystoneError(401, `The request you have made requires authentication.`, req.origin);
    }

    let projectId = user.projectId;
    const scope = auth.scope;
    if (scope !== undefined) {
      if (!isObj(scope) || !isObj(scope.project)) return keystoneError(401, UNAUTHENTICATED, req.origin);
      const p = scope.project;
      let project;
      if (typeof p.id === 'string') project = cloud.projects.find((x) => x.id === p.id);
      else if (typeof p.name === 'string') {
        if (!isObj(p.domain)) return malformed('domain', 'project');
        project = inDefaultDomain(p.domain) ? cloud.projects.find((x) => x.name === p.name) : undefined;
      } else return malformed('id or name', 'project');
      if (!project) return keystoneError(401, UNAUTHENTICATED, req.origin);
      projectId = project.id;
    }
    const admin = user.roleNames.includes('admin');
    if (!admin && projectId !== user.projectId) {
      return keystoneError(401, `User ${user.id} has no access to project ${projectId}`, req.origin);
    }

    const now = new Date();
    const token: Token = {
      id: newTokenId(),
      userId: user.id,
      projectId,
      roleNames: [...user.roleNames],
      issuedAt: now,
      // A rescoped token never outlives the token it came from.
      expiresAt: parent ? parent.expiresAt : new Date(now.getTime() + cloud.tokenTtlMs),
      auditId: newAuditId(),
    };
    cloud.tokens.set(token.id, token);
    methodsOf.set(token.id, parent ? ['token', ...(methodsOf.get(parent.id) ?? ['password'])].filter((m, i, a) => a.indexOf(m) === i) : ['password']);
    if (++issued % 1000 === 0) prune();
    return {
      status: 201,
      headers: { 'x-subject-token': token.id, 'content-type': 'application/json' },
      body: tokenJson(token, !req.query.has('nocatalog')),
    };
  }

  /** Shared by GET, HEAD and DELETE /v3/auth/tokens: the subject token the caller may see, or the error. */
  function subject(req: EmulatorRequest): { me: Token; token: Token } | EmulatorReply {
    const me = caller(req);
    if (!isToken(me)) return me;
    const id = header(req, 'x-subject-token');
    if (!id) return malformed('X-Subject-Token', 'header');
    const stored = cloud.tokens.get(id);
    const allowExpired = ['1', 'true', 'yes'].includes((req.query.get('allow_expired') ?? '').toLowerCase());
    const token = allowExpired ? stored : lookupToken(cloud, id);
    if (!token) return keystoneError(404, `Could not find token: ${id}.`);
    // identity:validate_token / revoke_token = admin or the token's own user.
    if (!isAdmin(me) && me.userId !== token.userId) return forbidden(req.method === 'DELETE' ? 'identity:revoke_token' : 'identity:validate_token');
    return { me, token };
  }

  function validate(req: EmulatorRequest): EmulatorReply {
    const s = subject(req);
    if (!('token' in s)) return s;
    const headers = { 'x-subject-token': s.token.id, 'content-type': 'application/json' };
    if (req.method === 'HEAD') return { status: 200, headers };
    return { status: 200, headers, body: tokenJson(s.token, !req.query.has('nocatalog')) };
  }

  function revoke(req: EmulatorRequest): EmulatorReply {
    const s = subject(req);
    if (!('token' in s)) return s;
    forget(s.token.id);
    recordRevocation({ auditId: s.token.auditId });
    return { status: 204 };
  }

  function listRevocationEvents(req: EmulatorRequest): EmulatorReply {
    const me = caller(req);
    if (!isToken(me)) return me;
    if (!isAdmin(me) && !me.roleNames.includes('service')) return forbidden('identity:list_revoke_events');
    const since = req.query.get('since');
    let after = -Infinity;
    if (since) {
      after = parseIsoTime(since);
      // Keystone's own words (keystone/api/os_revoke.py), typo included.
      if (Number.isNaN(after)) return keystoneError(400, `invalidate date format ${since}`);
    }
    return {
      status: 200,
      body: {
        events: revocations.filter((e) => e.revokedAt.getTime() > after).map(revocationEventView),
        links: { next: null, self: `${req.origin}/v3/OS-REVOKE/events`, previous: null },
      },
    };
  }

  function changePassword(req: EmulatorRequest): EmulatorReply {
    const body = isObj(req.body) ? req.body.user : undefined;
    if (!isObj(body)) return malformed('user', 'request body');
    if (typeof body.password !== 'string') return malformed('password', 'user');
    if (typeof body.original_password !== 'string') return malformed('original_password', 'user');
    const user = cloud.users.find((u) => u.id === req.params.id);
    if (!user) return keystoneError(404, `Could not find user: ${req.params.id}.`);
    if (user.password !== body.original_password) return keystoneError(401, UNAUTHENTICATED, req.origin);
    user.password = body.password;
    // Keystone revokes every token of the user issued until now (a user_id event); its tokens stop validating.
    const now = Date.now();
    for (const [id, t] of cloud.tokens) if (t.userId === user.id && t.issuedAt.getTime() <= now) forget(id);
    recordRevocation({ userId: user.id });
    return { status: 204 };
  }

  function listProjects(req: EmulatorRequest): EmulatorReply {
    const me = caller(req);
    if (!isToken(me)) return me;
    if (!isAdmin(me)) return forbidden('identity:list_projects');
    const q = req.query;
    const projects = cloud.projects.filter(
      (p) =>
        (!q.has('name') || p.name === q.get('name')) &&
        (!q.has('domain_id') || p.domainId === q.get('domain_id')) &&
        (!q.has('enabled') || ['true', '1'].includes((q.get('enabled') ?? '').toLowerCase())),
    );
    return { status: 200, body: projectList(projects, req.origin, '/v3/projects', q.toString()) };
  }

  function getProject(req: EmulatorRequest): EmulatorReply {
    const me = caller(req);
    if (!isToken(me)) return me;
    if (!isAdmin(me) && me.projectId !== req.params.id) return forbidden('identity:get_project');
    const project = cloud.projects.find((p) => p.id === req.params.id);
    if (!project) return keystoneError(404, `Could not find project: ${req.params.id}.`);
    return { status: 200, body: { project: projectView(project, req.origin) } };
  }

  function authProjects(req: EmulatorRequest): EmulatorReply {
    const me = caller(req);
    if (!isToken(me)) return me;
    const user = userOf(me);
    const projects = cloud.projects.filter((p) => user?.roleNames.includes('admin') || p.id === user?.projectId);
    return { status: 200, body: projectList(projects, req.origin, '/v3/auth/projects', '') };
  }

  function authCatalog(req: EmulatorRequest): EmulatorReply {
    const me = caller(req);
    if (!isToken(me)) return me;
    return {
      status: 200,
      body: { catalog: catalogFor(cloud, me.projectId), links: { self: `${req.origin}/v3/auth/catalog`, previous: null, next: null } },
    };
  }

  const v3 = (origin: string) => ({
    id: 'v3.14',
    status: 'stable',
    updated: '2020-04-07T00:00:00Z',
    links: [{ rel: 'self', href: `${origin}/v3/` }],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
  });

  // Every answer carries a request id, as Keystone's request_id middleware adds one.
  const withId =
    (h: (req: EmulatorRequest) => EmulatorReply) =>
    (req: EmulatorRequest): EmulatorReply => {
      const reply = h(req);
      return { ...reply, headers: { ...reply.headers, vary: 'X-Auth-Token', 'x-openstack-request-id': `req-${randomUUID()}` } };
    };
  const routes = [
    { method: 'GET', pattern: '/', handler: (req: EmulatorRequest) => ({ status: 300, body: { versions: { values: [v3(req.origin)] } } }) },
    { method: 'GET', pattern: '/v3', handler: (req: EmulatorRequest) => ({ status: 200, body: { version: v3(req.origin) } }) },
    { method: 'POST', pattern: '/v3/auth/tokens', handler: issue },
    { method: 'GET', pattern: '/v3/auth/tokens', handler: validate },
    { method: 'HEAD', pattern: '/v3/auth/tokens', handler: validate },
    { method: 'DELETE', pattern: '/v3/auth/tokens', handler: revoke },
    { method: 'GET', pattern: '/v3/auth/projects', handler: authProjects },
    { method: 'GET', pattern: '/v3/auth/catalog', handler: authCatalog },
    { method: 'GET', pattern: '/v3/projects', handler: listProjects },
    { method: 'GET', pattern: '/v3/projects/:id', handler: getProject },
    { method: 'GET', pattern: '/v3/OS-REVOKE/events', handler: listRevocationEvents },
    { method: 'POST', pattern: '/v3/users/:id/password', handler: changePassword },
  ].map((r) => ({ ...r, handler: withId(r.handler) }));

  return createEmulator({
    name: 'keystone',
    routes,
    errorReply: (status, message) => keystoneError(status, message),
    notFoundReply: () => keystoneError(404, 'The resource could not be found.'),
  });
}
