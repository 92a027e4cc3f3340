// Keystone's per-request loaders: one projects list per request serves every project lookup (Keystone has no
// multi-id filter, and a caller sees few projects).
import type { Project } from '../../core/domain.ts';
import type { RequestState } from '../planner/request-state.ts';
import type { KeystoneSource } from './source.ts';

export function keystoneLoaders(keystone: KeystoneSource, s: RequestState) {
  const projects = () => s.once('keystone:projects', () => keystone.projects());
  const project = s.loader<string, Project | null>('project', async (ids) => {
    const all = new Map((await projects()).map((p) => [p.id, p]));
    return ids.map((id) => all.get(id) ?? null);
  });
  return { projects, project };
}
