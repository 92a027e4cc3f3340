// JSON bodies of the Keystone v3 emulator, spelled as Keystone spells them:
//   token      https://docs.openstack.org/api-ref/identity/v3/#password-authentication-with-scoped-authorization
//   project    https://docs.openstack.org/api-ref/identity/v3/#projects
//   events     https://docs.openstack.org/api-ref/identity/v3/#list-revocation-events
//   errors     {"error": {"code", "title", "message"}} (keystone.exception / keystone.server.flask.common)
// Catalog entries come from cloud.catalog with `%(project_id)s` substituted by the token's project; service
// and endpoint ids are stable hashes so two tokens show the same catalog ids.
import { createHash, randomBytes } from 'node:crypto';
import type { EmulatorReply } from '../emulator/emulator-server.ts';
import type { Cloud, Project, Token } from '../seed/types.ts';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  500: 'Internal Server Error',
};

export function keystoneError(code: number, message: string, origin?: string): EmulatorReply {
  const headers: Record<string, string> = {};
  // Keystone points a client that failed authentication at itself.
  if (code === 401 && origin) headers['www-authenticate'] = `Keystone uri="${origin}"`;
  return { status: code, headers, body: { error: { code, title: TITLES[code] ?? 'Error', message } } };
}

export const forbidden = (action: string) => keystoneError(403, `You are not authorized to perform the requested action: ${action}.`);

/** A random, Fernet-looking token id: `gAAAAA` + url-safe base64, ~180 characters. */
export const newTokenId = (): string => 'gAAAAA' + randomBytes(134).toString('base64url');
/** Keystone audit ids: 16 random bytes, url-safe base64 without padding (22 characters). */
export const newAuditId = (): string => randomBytes(16).toString('base64url');

/** `2015-11-07T02:58:43.578887Z`: Keystone's token timestamps carry microseconds and Z. */
export const keystoneTime = (d: Date): string => d.toISOString().slice(0, 23) + '000Z';

const hexId = (s: string) => createHash('md5').update(s).digest('hex');

export function catalogFor(cloud: Cloud, projectId: string) {
  const services = new Map<string, { endpoints: unknown[]; type: string; id: string; name: string }>();
  for (const e of cloud.catalog) {
    const key = `${e.serviceType}\u0000${e.serviceName}`;
    let service = services.get(key);
    if (!service) services.set(key, (service = { endpoints: [], type: e.serviceType, id: hexId(`service:${key}`), name: e.serviceName }));
    service.endpoints.push({
      id: hexId(`endpoint:${key}:${e.interface}:${e.region}`),
      interface: e.interface,
      region: e.region,
      region_id: e.region,
      url: e.url.replace('%(project_id)s', projectId),
    });
  }
  return [...services.values()];
}

const DEFAULT_DOMAIN = { id: 'default', name: 'Default' };

/** The `{"token": …}` body of an issue or a validation. */
export function tokenBody(cloud: Cloud, token: Token, methods: string[], withCatalog: boolean): Record<string, unknown> {
  const user = cloud.users.find((u) => u.id === token.userId);
  const project = cloud.projects.find((p) => p.id === token.projectId);
  const roles = token.roleNames.map((name) => ({ id: cloud.roles.find((r) => r.name === name)?.id ?? hexId(`role:${name}`), name }));
  const body: Record<string, unknown> = {
    methods,
    roles,
    expires_at: keystoneTime(token.expiresAt),
    project: { domain: DEFAULT_DOMAIN, id: token.projectId, name: project?.name ?? '' },
    is_domain: false,
  };
  if (withCatalog) body.catalog = catalogFor(cloud, token.projectId);
  body.user = { domain: DEFAULT_DOMAIN, id: token.userId, name: user?.name ?? '', password_expires_at: null };
  body.audit_ids = [token.auditId];
  body.issued_at = keystoneTime(token.issuedAt);
  return { token: body };
}

/**
 * A revocation event as keystone's RevokeEvent.to_dict() spells it: the criteria that are set, then the times
 * (https://opendev.org/openstack/keystone/src/branch/master/keystone/models/revoke_model.py). Keystone stores
 * `revoked_at` to the second (and `issued_before` defaults to it), so its times end in `.000000Z`.
 */
export interface RevocationEvent {
  userId?: string;
  projectId?: string;
  auditId?: string;
  issuedBefore: Date;
  revokedAt: Date;
}

export function revocationEventView(e: RevocationEvent): Record<string, string> {
  return {
    ...(e.userId ? { user_id: e.userId } : {}),
    ...(e.projectId ? { project_id: e.projectId } : {}),
    ...(e.auditId ? { audit_id: e.auditId } : {}),
    issued_before: keystoneTime(e.issuedBefore),
    revoked_at: keystoneTime(e.revokedAt),
  };
}

export function projectView(project: Project, origin: string) {
  return {
    id: project.id,
    name: project.name,
    domain_id: project.domainId,
    description: project.description,
    enabled: true,
    // A top-level project's parent is its domain.
    is_domain: false,
    parent_id: project.domainId,
    tags: [],
    options: {},
    links: { self: `${origin}/v3/projects/${project.id}` },
  };
}

export function projectList(projects: Project[], origin: string, selfPath: string, query: string) {
  return {
    projects: projects.map((p) => projectView(p, origin)),
    links: { self: `${origin}${selfPath}${query ? `?${query}` : ''}`, previous: null, next: null },
  };
}
