// Keystone's per-request loaders. Keystone has no multi-id filter: a batch of projects is either one projects
// list per request (which then serves every later lookup) or a few GETs by id in parallel — whichever is expected
// to finish soonest (planner/cost-model.ts): instance-detail's one project is one small GET, not the cloud's
// whole project list. Members list only the projects they can scope to (a handful), so they keep the list.
import type { Project } from '../../core/domain.ts';
import { mapLimit } from '../../core/collections.ts';
import { UNKNOWN_LIST_RECORDS } from '../planner/cost-model.ts';
import type { RequestState } from '../planner/request-state.ts';
import type { KeystoneSource } from './source.ts';
import type { ProjectById } from './project-by-id.ts';

export function keystoneLoaders(keystone: KeystoneSource, s: RequestState, byId?: ProjectById) {
  const projects = () =>
    s.once('keystone:projects', async () => {
      const list = await keystone.projects();
      s.learn('keystone:projects', list.length);
      return list;
    });
  const fromList = async (ids: readonly string[]) => {
    const all = new Map((await projects()).map((p) => [p.id, p]));
    return ids.map((id) => all.get(id) ?? null);
  };
  const project = s.loader<string, Project | null>('project', async (ids) =>
    !byId || !s.caller.isAdmin
      ? fromList(ids)
      : s.choose<(Project | null | Error)[]>('project', [
          {
            name: 'per-id',
            service: 'keystone',
            kind: 'project',
            calls: s.has('keystone:projects') ? 0 : ids.length,
            rounds: s.has('keystone:projects') ? 0 : s.perKeyRounds(ids.length),
            records: s.has('keystone:projects') ? 0 : ids.length,
            run: () => (s.has('keystone:projects') ? fromList(ids) : mapLimit(ids, s.batching.concurrency, (id) => byId(id).catch((e: Error) => e))),
          },
          {
            name: 'project-list',
            service: 'keystone',
            kind: 'projects',
            calls: s.has('keystone:projects') ? 0 : 1,
            rounds: s.has('keystone:projects') ? 0 : 1,
            records: s.listRecords('keystone:projects', UNKNOWN_LIST_RECORDS),
            run: () => fromList(ids),
          },
        ]),
  );
  return { projects, project };
}
