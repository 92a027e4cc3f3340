// Host usage per request: capacity, used and free vCPUs, RAM and disk for a batch of hosts (by hostname). One
// os-hypervisors list per request (nova/loaders.ts `hypervisors`) finds each host's hypervisor; below Nova 2.88
// that list carries the numbers itself and nothing else is called, from 2.88 each host's Placement provider (its
// uuid is the hypervisor id) is read with two GETs, for the batch's hosts only, at most `batching.concurrency`
// providers at a time. A host Nova has no hypervisor for is null; a failing provider fails only its host. The cost
// limit counts the two GETs per host (server/limits/estimate-cost.ts UPSTREAM_CALLS): the usage of thousands of
// hosts is refused (MOSAIC_ERR_TOO_COSTLY) before Placement is called.
import type { HostUsage, Hypervisor } from '../../core/domain.ts';
import { mapLimit } from '../../core/collections.ts';
import type { RequestState } from '../planner/request-state.ts';
import type { PlacementSource } from './source.ts';

export function placementLoaders(placement: PlacementSource, s: RequestState, hypervisors: () => Promise<Hypervisor[]>) {
  const { concurrency } = s.batching;
  const hostUsage = s.loader<string, HostUsage | null>('hostUsage', async (hostnames) => {
    const list = await hypervisors();
    const byHost = new Map<string, Hypervisor>();
    for (const h of list) if (!byHost.has(h.host)) byHost.set(h.host, h);
    // A real cloud's hypervisor_hostname may be an FQDN while the service host is short: match either.
    for (const h of list) if (!byHost.has(h.hypervisorHostname)) byHost.set(h.hypervisorHostname, h);
    const found = hostnames.map((name) => byHost.get(name) ?? null);
    const fromPlacement = [...new Set(found.filter((h): h is Hypervisor => h !== null && h.usage === null).map((h) => h.id))];
    const read = await mapLimit(fromPlacement, concurrency, (uuid) =>
      s.once(`placement:usage:${uuid}`, () => placement.providerUsage(uuid)).catch((e: Error) => e),
    );
    const byUuid = new Map(fromPlacement.map((uuid, i) => [uuid, read[i]] as const));
    return found.map((h) => (h === null ? null : (h.usage ?? byUuid.get(h.id) ?? null)));
  });
  return { hostUsage };
}
