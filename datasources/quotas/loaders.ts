// A project's quotas and usage, from the three services that keep them, one loader each so a failing service costs
// only its part (ProjectQuotas.compute / volume / network). Each call forwards the caller's token: the services'
// own policies decide (a member's own project only), and the gateway checks the same first (resolvers/quotas.ts).
//  - Nova GET /os-quota-sets/{id}/detail https://docs.openstack.org/api-ref/compute/#show-the-detail-of-quota
//  - Cinder GET /v3/{own}/os-quota-sets/{id}?usage=true https://docs.openstack.org/api-ref/block-storage/v3/#show-quota-usage-for-a-project
//  - Neutron GET /v2.0/quotas/{id}/details.json https://docs.openstack.org/api-ref/network/v2/#quotas-details-extension-quota-details
// There is no multi-project form of any of them: a batch is parallel GETs under the concurrency cap. The cost limit
// counts each of these GETs per project (server/limits/estimate-cost.ts UPSTREAM_CALLS), so a query asking the
// quotas of thousands of projects is refused (MOSAIC_ERR_TOO_COSTLY) before the first call.
import type { QuotaSet } from '../../core/domain.ts';
import { mapLimit } from '../../core/collections.ts';
import type { RequestState } from '../planner/request-state.ts';
import type { NovaSource } from '../nova/source.ts';
import type { CinderSource } from '../cinder/source.ts';
import type { NeutronSource } from '../neutron/source.ts';

export function quotaLoaders(sources: { nova: NovaSource; cinder: CinderSource; neutron: NeutronSource }, s: RequestState) {
  const perProject = (name: string, fetch: (projectId: string) => Promise<QuotaSet>) =>
    s.loader<string, QuotaSet>(name, (ids) => mapLimit(ids, s.batching.concurrency, (id) => fetch(id).catch((e: Error) => e)));
  return {
    computeQuota: perProject('computeQuota', (id) => sources.nova.quotaDetail(id)),
    volumeQuota: perProject('volumeQuota', (id) => sources.cinder.quotaUsage(id)),
    networkQuota: perProject('networkQuota', (id) => sources.neutron.quotaDetails(id)),
  };
}
