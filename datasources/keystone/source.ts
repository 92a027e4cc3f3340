// Keystone reads made for a request, with the caller's own token: the projects it may see.
// https://docs.openstack.org/api-ref/identity/v3/#list-projects (admin) and #get-available-project-scopes (member).
import type { UpstreamClient } from '../http/client.ts';
import type { Caller } from '../../core/caller.ts';
import type { Project } from '../../core/domain.ts';
import { toProject } from './map.ts';

export class KeystoneSource {
  constructor(
    private readonly upstream: UpstreamClient,
    private readonly caller: Caller,
    private readonly url: string,
  ) {}

  /** Projects the caller may see: every project for an admin, otherwise those its user can scope to. */
  async projects(): Promise<Project[]> {
    const url = this.caller.isAdmin ? `${this.url}/projects` : `${this.url}/auth/projects`;
    const res = await this.upstream.get('keystone', url, { 'x-auth-token': this.caller.token });
    return ((res.body?.projects ?? []) as any[]).map(toProject);
  }
}
