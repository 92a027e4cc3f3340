// The Placement emulator: the resource providers Nova's compute nodes report, with their inventories and usages,
// behind Keystone tokens like the other emulators. https://docs.openstack.org/api-ref/placement/
//   GET /                                        version document, no token: {"versions": [{id "v1.0", max_version,
//                                                min_version, status, links [{rel self, href ""}]}]} — the API is at
//                                                the endpoint's root, there is no version segment
//   GET /resource_providers[?name=&uuid=]        {"resource_providers": [{generation, uuid, name, links, …}]}
//   GET /resource_providers/{uuid}               one provider
//   GET /resource_providers/{uuid}/inventories   {"inventories": {VCPU: {total, reserved, allocation_ratio,
//                                                min_unit, max_unit, step_size}, …}, "resource_provider_generation"}
//   GET /resource_providers/{uuid}/usages        {"usages": {VCPU: n, …}, "resource_provider_generation"}
// Microversions: `OpenStack-API-Version: placement 1.X` (absent → 1.0, `latest` → the maximum; out of range 406,
// malformed 400), echoed on every answer. Errors are Placement's `{"errors": [{status, title, detail, request_id}]}`
// (plus `code` from 1.23). Every route is admin-only under the default policy (rule:admin_api), and unknown query
// parameters are a 400, as Placement's JSON schemas forbid additional properties.
import { randomUUID } from 'node:crypto';
import { createEmulator, type Emulator, type EmulatorReply, type EmulatorRequest, type Route } from '../emulator/emulator-server.ts';
import { authenticate, isReply, type Caller } from '../emulator/openstack-auth.ts';
import type { Cloud, Host } from '../seed/types.ts';
import { generationOf, inventoriesOf, usagesByHost } from './providers.ts';

/** 1.39: the maximum of current Placement releases (https://docs.openstack.org/placement/latest/placement-api-microversion-history.html). */
export const PLACEMENT_MAX_MICROVERSION = 39;

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  406: 'Not Acceptable',
  500: 'Internal Server Error',
};

export function placementError(status: number, detail: string, mv = 0): EmulatorReply {
  const requestId = `req-${randomUUID()}`;
  const error: Record<string, unknown> = { status, title: TITLES[status] ?? 'Error', detail, request_id: requestId };
  if (mv >= 23) error.code = 'placement.undefined_code';
  return { status, headers: { 'x-openstack-request-id': requestId }, body: { errors: [error] } };
}

/** The negotiated minor version (1.X → X) or the error to send. */
function negotiate(req: EmulatorRequest, max: number): number | EmulatorReply {
  const raw = req.headers['openstack-api-version'];
  if (raw === undefined) return 0;
  const values = Array.isArray(raw) ? raw.join(',') : raw;
  for (const part of values.split(',')) {
    const [service, version] = part.trim().split(/\s+/, 2);
    if (service?.toLowerCase() !== 'placement' || version === undefined) continue;
    if (version === 'latest') return max;
    const m = /^(\d+)\.(\d+)$/.exec(version);
    if (!m) return placementError(400, `invalid version string: ${version}`);
    if (m[1] !== '1' || Number(m[2]) > max) {
      return placementError(406, `Unacceptable version header: ${version}`);
    }
    return Number(m[2]);
  }
  return 0;
}

export interface PlacementOptions {
  /** The highest microversion this Placement offers, `1.X` (default 1.39). */
  maxMicroversion?: string;
}

interface Ctx {
  req: EmulatorRequest;
  caller: Caller;
  mv: number;
}

export function createPlacement(cloud: Cloud, options: PlacementOptions = {}): Emulator {
  const max = options.maxMicroversion === undefined ? PLACEMENT_MAX_MICROVERSION : Number(/^1\.(\d+)$/.exec(options.maxMicroversion)?.[1] ?? NaN);
  if (!(max >= 0 && max <= PLACEMENT_MAX_MICROVERSION))
    throw new Error(`placement maxMicroversion ${options.maxMicroversion}: expected 1.0–1.${PLACEMENT_MAX_MICROVERSION}`);

  const byUuid = (uuid: string): Host | undefined => cloud.hosts.find((h) => h.hypervisorId === uuid);

  const providerView = (h: Host, mv: number, generation: number): Record<string, unknown> => {
    const self = `/resource_providers/${h.hypervisorId}`;
    const links = [
      { href: self, rel: 'self' },
      { href: `${self}/inventories`, rel: 'inventories' },
      { href: `${self}/usages`, rel: 'usages' },
    ];
    if (mv >= 1) links.push({ href: `${self}/aggregates`, rel: 'aggregates' });
    if (mv >= 6) links.push({ href: `${self}/traits`, rel: 'traits' });
    if (mv >= 11) links.push({ href: `${self}/allocations`, rel: 'allocations' });
    const o: Record<string, unknown> = { generation, links, name: h.hostname, uuid: h.hypervisorId };
    if (mv >= 14) {
      o.parent_provider_uuid = null;
      o.root_provider_uuid = h.hypervisorId;
    }
    return o;
  };

  const onlyParams = (req: EmulatorRequest, allowed: string[], mv: number): EmulatorReply | null => {
    const extra = [...new Set(req.query.keys())].filter((k) => !allowed.includes(k));
    return extra.length
      ? placementError(
          400,
          `Invalid query string parameters: Additional properties are not allowed (${extra.map((k) => `'${k}'`).join(', ')} was unexpected)`,
          mv,
        )
      : null;
  };

  type Handler = (ctx: Ctx) => EmulatorReply;
  const handle =
    (rule: string, handler: Handler) =>
    (req: EmulatorRequest): EmulatorReply => {
      const caller = authenticate(cloud, req);
      if (isReply(caller)) return caller;
      const mv = negotiate(req, max);
      if (typeof mv !== 'number') return mv;
      const reply = caller.isAdmin
        ? handler({ req, caller, mv })
        : placementError(403, `Access was denied to this resource.\n\n Policy does not allow ${rule} to be performed.  `, mv);
      const requestId = reply.headers?.['x-openstack-request-id'] ?? `req-${randomUUID()}`;
      return {
        ...reply,
        headers: {
          ...reply.headers,
          'openstack-api-version': `placement 1.${mv}`,
          vary: 'openstack-api-version',
          'x-openstack-request-id': requestId,
        },
      };
    };

  const withProvider =
    (what: (h: Host, ctx: Ctx, used: ReturnType<typeof usagesByHost>) => EmulatorReply): Handler =>
    (ctx) => {
      const bad = onlyParams(ctx.req, [], ctx.mv);
      if (bad) return bad;
      const h = byUuid(ctx.req.params.uuid);
      if (!h)
        return placementError(404, `The resource could not be found.\n\n No resource provider with uuid ${ctx.req.params.uuid} found  `, ctx.mv);
      return what(h, ctx, usagesByHost(cloud));
    };

  const routes: Route[] = [
    {
      method: 'GET',
      pattern: '/',
      handler: () => ({
        status: 200,
        body: { versions: [{ id: 'v1.0', max_version: `1.${max}`, min_version: '1.0', status: 'CURRENT', links: [{ rel: 'self', href: '' }] }] },
      }),
    },
    {
      method: 'GET',
      pattern: '/resource_providers',
      handler: handle('placement:resource_providers:list', ({ req, mv }) => {
        const bad = onlyParams(req, ['name', 'uuid', ...(mv >= 3 ? ['member_of'] : []), ...(mv >= 4 ? ['resources'] : [])], mv);
        if (bad) return bad;
        const name = req.query.get('name');
        const uuid = req.query.get('uuid');
        const used = usagesByHost(cloud);
        const hosts = cloud.hosts
          .filter((h) => (name === null || h.hostname === name) && (uuid === null || h.hypervisorId === uuid))
          .sort((a, b) => a.id - b.id);
        return {
          status: 200,
          body: { resource_providers: hosts.map((h) => providerView(h, mv, generationOf(used.get(h.hostname)?.consumers ?? 0))) },
        };
      }),
    },
    {
      method: 'GET',
      pattern: '/resource_providers/:uuid',
      handler: handle(
        'placement:resource_providers:show',
        withProvider((h, { mv }, used) => ({ status: 200, body: providerView(h, mv, generationOf(used.get(h.hostname)?.consumers ?? 0)) })),
      ),
    },
    {
      method: 'GET',
      pattern: '/resource_providers/:uuid/inventories',
      handler: handle(
        'placement:resource_providers:inventories:list',
        withProvider((h, _, used) => ({
          status: 200,
          // Python writes the ratios as floats (1.0, 4.0); keep the spelling.
          body: JSON.stringify({
            inventories: inventoriesOf(h),
            resource_provider_generation: generationOf(used.get(h.hostname)?.consumers ?? 0),
          }).replace(/"allocation_ratio":(\d+)([,}])/g, '"allocation_ratio":$1.0$2'),
          headers: { 'content-type': 'application/json' },
        })),
      ),
    },
    {
      method: 'GET',
      pattern: '/resource_providers/:uuid/usages',
      handler: handle(
        'placement:resource_providers:usages',
        withProvider((h, _, used) => {
          const entry = used.get(h.hostname);
          return {
            status: 200,
            body: {
              resource_provider_generation: generationOf(entry?.consumers ?? 0),
              usages: entry?.usages ?? { DISK_GB: 0, MEMORY_MB: 0, VCPU: 0 },
            },
          };
        }),
      ),
    },
  ];

  return createEmulator({
    name: 'placement',
    routes,
    errorReply: (status, message) => placementError(status, message),
    notFoundReply: (req) => {
      const caller = authenticate(cloud, req);
      return isReply(caller) ? caller : placementError(404, 'The resource could not be found.');
    },
  });
}
