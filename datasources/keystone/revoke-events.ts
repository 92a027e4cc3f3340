// Keystone's revocation events (https://docs.openstack.org/api-ref/identity/v3/#list-revocation-events) and the
// list of those this gateway has seen, which answers "does any event end this cached token?".
//
// An event names criteria (audit id, audit chain, user, project, domain, role, trust, OAuth consumer, expiry) and
// ends every token issued up to `issued_before` that meets all of them — keystone/models/revoke_model.py. The
// list matches the same way, with one rule of thumb: when in doubt, match. A match only drops a cache entry, so
// the token is validated at Keystone again, which has the last word; a missed match would serve a revoked token.
// Hence: criteria this code does not know are ignored (they could only narrow the match), audit-id events match
// whatever their times, and times are compared to the second, as Keystone keeps them (revoked_at, and Fernet's
// issued_at, have no fraction).
//
// Events are indexed by the one criterion that must be equal (audit id, chain, user, project), so checking a token
// costs a few map lookups however many events there are; events that name none of these are scanned.
import type { TokenFacts } from './map.ts';

export interface RevokeEvent {
  /** The event as Keystone sent it: what replicas pass to each other. */
  raw: Record<string, string>;
  /** Canonical JSON of `raw`: the same event seen twice (overlapping polls, another replica) counts once. */
  key: string;
  auditId: string | null;
  auditChainId: string | null;
  userId: string | null;
  projectId: string | null;
  domainId: string | null;
  domainScopeId: string | null;
  roleId: string | null;
  trustId: string | null;
  consumerId: string | null;
  accessTokenId: string | null;
  /** ms, to the second. */
  expiresAt: number | null;
  issuedBefore: number;
  revokedAt: number;
  /** When this process learned of it (its own clock): events are forgotten relative to this. */
  learnedAt: number;
}

const second = (ms: number) => Math.floor(ms / 1000) * 1000;
const time = (v: unknown): number | null => {
  const ms = typeof v === 'string' ? Date.parse(v) : NaN;
  return Number.isNaN(ms) ? null : ms;
};

/** An event from Keystone's JSON, or null when it is not an object. */
export function parseRevokeEvent(value: unknown, learnedAt: number): RevokeEvent | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const raw: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') raw[k] = v;
  const id = (name: string) => (raw[name] ? raw[name] : null);
  const revokedAt = time(raw.revoked_at);
  // issued_before is always there in practice; without it, every matching token issued until now is ended.
  const issuedBefore = time(raw.issued_before) ?? revokedAt ?? learnedAt;
  const expiresAt = time(raw.expires_at);
  return {
    raw,
    key: JSON.stringify(
      Object.keys(raw)
        .sort()
        .map((k) => [k, raw[k]]),
    ),
    auditId: id('audit_id'),
    auditChainId: id('audit_chain_id'),
    userId: id('user_id'),
    projectId: id('project_id'),
    domainId: id('domain_id'),
    domainScopeId: id('domain_scope_id'),
    roleId: id('role_id'),
    trustId: id('OS-TRUST:trust_id'),
    consumerId: id('OS-OAUTH1:consumer_id'),
    accessTokenId: id('OS-OAUTH1:access_token_id'),
    expiresAt: expiresAt === null ? null : second(expiresAt),
    issuedBefore,
    revokedAt: revokedAt ?? issuedBefore,
    learnedAt,
  };
}

/** Whether `event` ends the token described by `facts` (revoke_model.matches, plus the ids keystone checks in SQL). */
export function eventMatches(e: RevokeEvent, f: TokenFacts): boolean {
  if (e.auditId !== null && e.auditId !== f.auditIds[0]) return false;
  if (e.auditChainId !== null && !f.auditIds.includes(e.auditChainId)) return false;
  if (e.userId !== null && e.userId !== f.userId && e.userId !== f.trustorId && e.userId !== f.trusteeId) return false;
  if (e.projectId !== null && e.projectId !== f.projectId) return false;
  if (e.domainId !== null && e.domainId !== f.identityDomainId && e.domainId !== f.assignmentDomainId) return false;
  if (e.domainScopeId !== null && e.domainScopeId !== f.assignmentDomainId) return false;
  if (e.roleId !== null && !f.roleIds.includes(e.roleId)) return false;
  if (e.trustId !== null && e.trustId !== f.trustId) return false;
  if (e.consumerId !== null && e.consumerId !== f.consumerId) return false;
  if (e.accessTokenId !== null && e.accessTokenId !== f.accessTokenId) return false;
  if (e.expiresAt !== null && e.expiresAt !== second(f.expiresAt)) return false;
  // An audit id names one token (or one chain of rescoped tokens): no time test is needed, and none is safer.
  if (e.auditId === null && e.auditChainId === null && second(f.issuedAt) > e.issuedBefore) return false;
  return true;
}

export class RevocationList {
  private readonly byAudit = new Map<string, Set<RevokeEvent>>();
  private readonly byChain = new Map<string, Set<RevokeEvent>>();
  private readonly byUser = new Map<string, Set<RevokeEvent>>();
  private readonly byProject = new Map<string, Set<RevokeEvent>>();
  private readonly others = new Set<RevokeEvent>();
  /** Every event, oldest learned first, by key. */
  private readonly known = new Map<string, RevokeEvent>();

  /**
   * @param keepMs how long an event is kept after it was learned: a cache entry it could end was validated at
   * Keystone before the revocation, so it expires within the cache's lifetime (keystone.tokenCacheMaxMs) of it.
   */
  constructor(private readonly keepMs: number) {}

  get size(): number {
    return this.known.size;
  }

  /** Adds the events not known yet (and forgets those past keepMs); returns the new ones. */
  add(values: unknown[], now: number): RevokeEvent[] {
    this.prune(now);
    const fresh: RevokeEvent[] = [];
    for (const value of values) {
      const event = parseRevokeEvent(value, now);
      if (!event || this.known.has(event.key)) continue;
      this.known.set(event.key, event);
      this.indexOf(event)?.add(event);
      fresh.push(event);
    }
    return fresh;
  }

  /** Whether any known event ends this token. */
  revokes(f: TokenFacts): boolean {
    const any = (events: Set<RevokeEvent> | undefined) => {
      if (events) for (const e of events) if (eventMatches(e, f)) return true;
      return false;
    };
    if (this.known.size === 0) return false;
    if (f.auditIds.length && any(this.byAudit.get(f.auditIds[0]))) return true;
    for (const id of f.auditIds) if (any(this.byChain.get(id))) return true;
    for (const id of [f.userId, f.trustorId, f.trusteeId]) if (id && any(this.byUser.get(id))) return true;
    if (f.projectId && any(this.byProject.get(f.projectId))) return true;
    return any(this.others);
  }

  private prune(now: number): void {
    for (const [key, event] of this.known) {
      if (now - event.learnedAt <= this.keepMs) break;
      this.known.delete(key);
      this.indexOf(event, false)?.delete(event);
    }
  }

  /** The set an event is filed under: by the first criterion of audit id, chain, user, project that it names. */
  private indexOf(e: RevokeEvent, create = true): Set<RevokeEvent> | undefined {
    const [map, id] =
      e.auditId !== null
        ? [this.byAudit, e.auditId]
        : e.auditChainId !== null
          ? [this.byChain, e.auditChainId]
          : e.userId !== null
            ? [this.byUser, e.userId]
            : e.projectId !== null
              ? [this.byProject, e.projectId]
              : [null, ''];
    if (!map) return this.others;
    let set = map.get(id);
    if (!set && create) map.set(id, (set = new Set()));
    if (set && !create && set.size <= 1) map.delete(id);
    return set;
  }
}
