// Authorisation helpers, in one place (DESIGN.md "Tenancy"): the caller is who the validated token says. The
// region controller trusts Mosaic's service key, so for its data (hosts, placement, the dashboard) the gateway
// is the only authority and these checks are the policy.
import type { Caller } from '../core/caller.ts';
import { MosaicError } from '../core/errors.ts';

/** Throws FORBIDDEN (MOSAIC_ERR_ADMIN_ONLY) unless the caller is an administrator; `what` names the data. */
export function requireAdmin(caller: Caller, what: string): void {
  if (!caller.isAdmin) throw new MosaicError('MOSAIC_ERR_ADMIN_ONLY', `${what} is visible to administrators only.`);
}

/** Members may ask about their own project only; administrators about any. */
export function requireOwnProject(caller: Caller, projectId: string | null | undefined): void {
  if (projectId && !caller.isAdmin && projectId !== caller.projectId) {
    throw new MosaicError('MOSAIC_ERR_ADMIN_ONLY', 'Another project is visible to administrators only.');
  }
}
