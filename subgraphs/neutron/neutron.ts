// Emulated Neutron (networking API v2.0): ports, networks, subnets (subnets.ts), security groups
// (security-groups.ts), quota details (quotas.ts) and floating IPs over the shared Cloud; floating IPs
// can also be allocated, (dis)associated and released (floating-ip-writes.ts).
// https://docs.openstack.org/api-ref/network/v2/
//
// GET /v2.0/{ports,networks,floatingips}[/{id}] behind Keystone tokens. Admins see every project's
// resources without any flag; members see their own (plus ports on networks they own, and shared or
// external networks); a resource the caller cannot see is a 404 like a missing one. Query semantics
// (repeated keys OR, `fields=`, limit/marker/page_reverse, `*_links`) are in query.ts.
// Errors: {"NeutronError": {"type": "PortNotFound", "message": "Port X could not be found.", "detail": ""}};
// injected 500s in the same shape (type HTTPInternalServerError).
import { createEmulator, type Emulator, type EmulatorRequest } from '../emulator/emulator-server.ts';
import { withAuth } from '../emulator/openstack-auth.ts';
import type { Cloud } from '../seed/types.ts';
import { FLOATING_IPS, NETWORKS, NeutronContext, PORTS, type ResourceDef } from './serialize.ts';
import { listResources, NeutronError, neutronErrorReply, showResource } from './query.ts';
import { SUBNETS } from './subnets.ts';
import { SECURITY_GROUPS } from './security-groups.ts';
import { quotaDetails } from './quotas.ts';
import { createFloatingIp, deleteFloatingIp, updateFloatingIp } from './floating-ip-writes.ts';

export function createNeutron(cloud: Cloud): Emulator {
  const handle = (fn: (req: EmulatorRequest, ctx: NeutronContext) => ReturnType<typeof listResources>) =>
    withAuth(cloud, (req, caller) => {
      try {
        return fn(req, new NeutronContext(cloud, caller));
      } catch (err) {
        if (err instanceof NeutronError) return neutronErrorReply(err.status, err.type, err.message);
        throw err;
      }
    });
  const routesFor = <T extends { id: string }>(def: ResourceDef<T>) => [
    { method: 'GET', pattern: `/v2.0/${def.path ?? def.collection}`, handler: handle((req, ctx) => listResources(def, ctx, req)) },
    {
      method: 'GET',
      pattern: `/v2.0/${def.path ?? def.collection}/:id`,
      handler: handle((req, ctx) => showResource(def, ctx, req, req.params.id)),
    },
  ];

  return createEmulator({
    name: 'neutron',
    routes: [
      // Version discovery, without a token: https://docs.openstack.org/api-ref/network/v2/#list-api-versions
      {
        method: 'GET',
        pattern: '/',
        handler: (req: EmulatorRequest) => ({
          status: 200,
          body: { versions: [{ id: 'v2.0', status: 'CURRENT', links: [{ href: `${req.origin}/v2.0/`, rel: 'self' }] }] },
        }),
      },
      ...routesFor(PORTS),
      ...routesFor(NETWORKS),
      ...routesFor(FLOATING_IPS),
      ...routesFor(SUBNETS),
      ...routesFor(SECURITY_GROUPS),
      // Quota details (the quota-details extension), read only.
      { method: 'GET', pattern: '/v2.0/quotas/:project_id/details.json', handler: handle((req, ctx) => quotaDetails(ctx.cloud, ctx.caller, req)) },
      { method: 'GET', pattern: '/v2.0/quotas/:project_id/details', handler: handle((req, ctx) => quotaDetails(ctx.cloud, ctx.caller, req)) },
      // Floating-IP writes (floating-ip-writes.ts); ports and networks stay read only.
      { method: 'POST', pattern: '/v2.0/floatingips', handler: handle((req, ctx) => createFloatingIp(req, ctx)) },
      { method: 'PUT', pattern: '/v2.0/floatingips/:id', handler: handle((req, ctx) => updateFloatingIp(req, ctx)) },
      { method: 'DELETE', pattern: '/v2.0/floatingips/:id', handler: handle((req, ctx) => deleteFloatingIp(req, ctx)) },
    ],
    errorReply: (status, message) =>
      status >= 500
        ? neutronErrorReply(status, 'HTTPInternalServerError', 'Request Failed: internal server error while processing your request.')
        : neutronErrorReply(status, 'HTTPBadRequest', message),
    notFoundReply: () => neutronErrorReply(404, 'HTTPNotFound', 'The resource could not be found.'),
  });
}
