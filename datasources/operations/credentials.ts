// Whose token the tracker polls with. Operations outlive the request that started them, and OpenStack shows a
// project's servers and volumes only to that project's members and to administrators (to anyone else a server
// is a 404, which would read as "deleted"). Tokens are never stored in MongoDB (a stored operation holds no
// secret); this process keeps, in memory, the newest token seen per project — from the caller who started an
// operation and from anyone of that project who reads operations — and the newest administrator's token. After a
// restart, operations resume as soon as one of those is seen again, or at once with keystone.serviceUser when
// that account has the admin role.
import type { Caller } from '../../core/caller.ts';

/** A token this close to its expiry is not used: a poll must not start with a token about to be refused. */
const MARGIN_MS = 30_000;

export class CredentialPool {
  private readonly byProject = new Map<string, Caller>();
  private admin: Caller | null = null;

  constructor(private readonly now: () => number = Date.now) {}

  /** Keeps the caller's token if it outlives the one held for its project (and for administrators). */
  remember(caller: Caller): void {
    const held = this.byProject.get(caller.projectId);
    if (!held || held.expiresAt < caller.expiresAt) this.byProject.set(caller.projectId, caller);
    if (caller.isAdmin && (!this.admin || this.admin.expiresAt < caller.expiresAt)) this.admin = caller;
  }

  /** A live token that sees the project's resources: a member's, else an administrator's; null when none is held. */
  forProject(projectId: string): Caller | null {
    const live = (c: Caller | null | undefined) => (c && c.expiresAt.getTime() - MARGIN_MS > this.now() ? c : null);
    return live(this.byProject.get(projectId)) ?? live(this.admin);
  }
}
