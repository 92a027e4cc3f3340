// Who is asking: the caller as the validated Keystone token says (DESIGN.md "Tenancy" — never what the arguments
// say), and tenantScope(), the one key that separates tenants in every cache, coalescing map and size hint.

export interface CatalogEntry {
  type: string;
  endpoints: { interface: string; region: string; region_id?: string; url: string }[];
}

export interface Caller {
  token: string;
  userId: string;
  userName: string;
  projectId: string;
  projectName: string;
  roles: string[];
  isAdmin: boolean;
  expiresAt: Date;
  catalog: CatalogEntry[];
}

/**
 * The scope a caller's data is visible in: user, project and roles are all OpenStack policy looks at, so two
 * tokens with the same scope see the same answers (one console open in several tabs) and any difference in them
 * keeps the answers apart. Every cache or coalescing key that holds caller-visible data starts with this.
 */
export function tenantScope(caller: Pick<Caller, 'userId' | 'projectId' | 'roles'>): string {
  return `${caller.userId}|${caller.projectId}|${[...caller.roles].sort().join(',')}`;
}
