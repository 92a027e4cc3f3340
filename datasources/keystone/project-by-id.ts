// One Keystone project by id, with the caller's own token (https://docs.openstack.org/api-ref/identity/v3/#show-project-details).
// Keystone has no multi-id filter, so a batch of a few projects is a few of these GETs in parallel, which beats
// the whole project list on a cloud with many projects (keystone/loaders.ts chooses). Its policy
// (identity:get_project) lets an administrator read any project and a member only the one its token is scoped
// to; a 404 (and the 403 Keystone answers for a project a member may not read) is "not visible": null. Kept
// beside source.ts (not in it) while that file is being reworked; it belongs in KeystoneSource.
import type { UpstreamClient } from '../http/client.ts';
import type { Caller } from '../../core/caller.ts';
import type { Project } from '../../core/domain.ts';
import { toProject } from './map.ts';

export type ProjectById = (id: string) => Promise<Project | null>;

export function projectById(upstream: UpstreamClient, caller: Caller, keystoneUrl: string): ProjectById {
  return async (id) => {
    const res = await upstream.get('keystone', `${keystoneUrl}/projects/${encodeURIComponent(id)}`, { 'x-auth-token': caller.token }, [403, 404]);
    return res.status === 200 && res.body?.project ? toProject(res.body.project) : null;
  };
}
