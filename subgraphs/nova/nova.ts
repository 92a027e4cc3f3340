// The Nova (Compute API v2.1) emulator: routes and the per-request pipeline — Keystone token check (401 in the
// shared `{"error": …}` shape, before anything else, as keystonemiddleware does), microversion negotiation,
// index revalidation, then the handler; every answer carries the version and request-id headers.
// https://docs.openstack.org/api-ref/compute/
// Handlers live in servers.ts (reads), server-lifecycle.ts (create/delete), server-actions.ts (start, stop,
// reboot), volumes.ts
// (volume attachments) and resources.ts (hypervisors, availability zones, aggregates, flavors).
import { randomUUID } from 'node:crypto';
import { createEmulator, type Emulator, type EmulatorReply, type EmulatorRequest, type Route } from '../emulator/emulator-server.ts';
import { authenticate, isReply, withAuth } from '../emulator/openstack-auth.ts';
import type { Cloud } from '../seed/types.ts';
import { type NovaContext, type NovaState, instanceNumber, novaFault } from './common.ts';
import { NovaIndex } from './index-view.ts';
import { MAX_MICROVERSION, MIN_MICROVERSION, negotiate, versionHeaders } from './microversion.ts';
import { listServers, showServer } from './servers.ts';
import { createServer, deleteServer } from './server-lifecycle.ts';
import { serverAction } from './server-actions.ts';
import { attachVolume, detachVolume, listAttachments, showAttachment } from './volumes.ts';
import { hypervisorStatistics, listAggregates, listFlavors, listHypervisors, listZones, showFlavor, showHypervisor } from './resources.ts';
import { showQuotaSet, showQuotaSetDetail } from './quota-sets.ts';

type NovaHandler = (ctx: NovaContext) => EmulatorReply;

/** The v2.1 version document; `max` is this Nova's maximum minor version. */
function versionDoc(origin: string, max: number) {
  return {
    id: 'v2.1',
    status: 'CURRENT',
    version: `2.${max}`,
    min_version: `2.${MIN_MICROVERSION}`,
    updated: '2013-07-23T11:33:21Z',
    links: [
      { href: `${origin}/v2.1/`, rel: 'self' },
      { href: 'http://docs.openstack.org/', rel: 'describedby', type: 'text/html' },
    ],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.compute+json;version=2.1' }],
  };
}

/** The legacy v2.0 API, listed beside v2.1 at the root as Nova lists it (no microversions: `version` is empty). */
const legacyDoc = (origin: string) => ({
  id: 'v2.0',
  status: 'SUPPORTED',
  version: '',
  min_version: '',
  updated: '2011-01-21T11:33:21Z',
  links: [{ href: `${origin}/v2/`, rel: 'self' }],
});

export interface NovaOptions {
  /** The highest microversion this Nova offers, `2.X` (default 2.96, Caracal); `2.0` offers only the legacy v2.0 API. */
  maxMicroversion?: string;
}

export function createNova(cloud: Cloud, options: NovaOptions = {}): Emulator {
  const max = options.maxMicroversion === undefined ? MAX_MICROVERSION : Number(/^2\.(\d+)$/.exec(options.maxMicroversion)?.[1] ?? NaN);
  if (!(max >= 0 && max <= MAX_MICROVERSION)) throw new Error(`nova maxMicroversion ${options.maxMicroversion}: expected 2.0–2.${MAX_MICROVERSION}`);
  const state: NovaState = {
    cloud,
    index: new NovaIndex(cloud),
    deleting: new Set(),
    tasks: new Map(),
    pinnedAz: new Map(),
    noValidHost: new Set(),
    instanceNumbers: new Map(),
    nextInstanceNumber: 1,
  };
  // Number the seeded servers in seed order so instance names are deterministic.
  for (const s of cloud.servers) instanceNumber(state, s);

  const handle = (handler: NovaHandler) =>
    withAuth(cloud, (req, caller) => {
      const requestId = `req-${randomUUID()}`;
      const ids = { 'x-openstack-request-id': requestId, 'x-compute-request-id': requestId };
      const mv = negotiate(req.headers, max);
      if (typeof mv !== 'number') return { ...mv, headers: { ...mv.headers, ...ids } };
      state.index.refresh();
      const reply = handler({ req, caller, mv, state });
      const headers: Record<string, string> = { ...versionHeaders(mv), ...ids, ...reply.headers };
      if (reply.body === undefined) delete headers['content-type'];
      return { ...reply, headers };
    });
  const get = (pattern: string, h: NovaHandler): Route => ({ method: 'GET', pattern: `/v2.1${pattern}`, handler: handle(h) });
  const post = (pattern: string, h: NovaHandler): Route => ({ method: 'POST', pattern: `/v2.1${pattern}`, handler: handle(h) });
  const del = (pattern: string, h: NovaHandler): Route => ({ method: 'DELETE', pattern: `/v2.1${pattern}`, handler: handle(h) });

  const routes: Route[] = [
    // Version discovery is not behind auth in Nova's paste pipeline.
    {
      method: 'GET',
      pattern: '/',
      handler: (req: EmulatorRequest) => ({
        status: 200,
        body: {
          versions: [legacyDoc(req.origin), ...(max >= MIN_MICROVERSION ? [{ ...versionDoc(req.origin, max), 'media-types': undefined }] : [])],
        },
      }),
    },
    { method: 'GET', pattern: '/v2.1', handler: (req: EmulatorRequest) => ({ status: 200, body: { version: versionDoc(req.origin, max) } }) },
    get('/servers', (ctx) => listServers(ctx, false)),
    get('/servers/detail', (ctx) => listServers(ctx, true)),
    get('/servers/:id', showServer),
    post('/servers', createServer),
    del('/servers/:id', deleteServer),
    post('/servers/:id/action', serverAction),
    get('/servers/:id/os-volume_attachments', listAttachments),
    get('/servers/:id/os-volume_attachments/:volumeId', showAttachment),
    post('/servers/:id/os-volume_attachments', attachVolume),
    del('/servers/:id/os-volume_attachments/:volumeId', detachVolume),
    get('/os-hypervisors', (ctx) => listHypervisors(ctx, false)),
    get('/os-hypervisors/detail', (ctx) => listHypervisors(ctx, true)),
    get('/os-hypervisors/statistics', hypervisorStatistics),
    get('/os-hypervisors/:id', showHypervisor),
    get('/os-aggregates', listAggregates),
    get('/os-availability-zone', (ctx) => listZones(ctx, false)),
    get('/os-availability-zone/detail', (ctx) => listZones(ctx, true)),
    get('/flavors', (ctx) => listFlavors(ctx, false)),
    get('/flavors/detail', (ctx) => listFlavors(ctx, true)),
    get('/flavors/:id', showFlavor),
    get('/os-quota-sets/:id', showQuotaSet),
    get('/os-quota-sets/:id/detail', showQuotaSetDetail),
  ];

  return createEmulator({
    name: 'nova',
    routes,
    errorReply: (status, message) => novaFault(status, message),
    notFoundReply: (req) => {
      const caller = authenticate(cloud, req);
      return isReply(caller) ? caller : novaFault(404, 'The resource could not be found.');
    },
  });
}
