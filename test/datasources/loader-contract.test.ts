// The batch contract every loader module keeps (DESIGN.md "Batching: the rules"), checked against the real
// emulators for every keyed loader of datasources/index.ts: one entry per key in key order, `null` (or `[]` for
// a list) for a key the upstream does not know, an Error for the failing key alone, and no upstream URL
// requested twice within the request.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type DataLoader from 'dataloader';
import { issueToken, startTestCloud, statsOf, type DemoCloud } from '../helpers/cloud.ts';
import { validateConfig, type MosaicConfig } from '../../core/config.ts';
import {
  BatchScheduler,
  KeystoneAuth,
  SizeHints,
  UpstreamClient,
  createHttpStack,
  createLoaders,
  createSources,
  type HttpStack,
  type Loaders,
} from '../../datasources/index.ts';
import { SERVICE_NAMES } from '../../subgraphs/demo-cloud.ts';
import type { Cloud } from '../../subgraphs/seed/types.ts';

let cloud: DemoCloud;
let adminToken: string;
let stack: HttpStack;
let auth: KeystoneAuth;

beforeAll(async () => {
  cloud = await startTestCloud();
  adminToken = (await issueToken(cloud, 'admin')).token;
});
afterAll(async () => {
  stack?.close();
  await cloud?.close();
});

function configWith(overrides: Record<string, unknown> = {}): MosaicConfig {
  return validateConfig({ keystone: { url: cloud.keystoneUrl }, legacy: { url: cloud.legacyUrl, apiKey: cloud.legacyApiKey }, ...overrides });
}

/** A fresh request's loaders for the admin, with cold size hints unless some are given. */
async function requestLoaders(config = configWith(), hints = new SizeHints()): Promise<Loaders> {
  stack ??= createHttpStack(config);
  auth ??= new KeystoneAuth(stack);
  const scheduler = new BatchScheduler(config.batching.maxWaitMs);
  const upstream = new UpstreamClient({ ...stack, config }, scheduler);
  const caller = await auth.validate(upstream, adminToken);
  return createLoaders(createSources(upstream, caller, config), { caller, config, scheduler, hints });
}

/** Every request the emulators recorded since the last reset, per service. */
async function recorded(): Promise<Record<string, string[]>> {
  const stats = await Promise.all(SERVICE_NAMES.map((s) => statsOf(cloud, s)));
  return Object.fromEntries(SERVICE_NAMES.map((s, i) => [s, stats[i].requests]));
}

/**
 * Loads every key in one batch, then checks nothing was fetched twice — unless failures were injected: a GET
 * that meets a 502 is retried (datasources/http/retry-policy.ts), which the emulators record as a repeat.
 */
async function loadAll<K, V>(loader: DataLoader<K, V, any>, keys: K[], faulted = false): Promise<(V | Error)[]> {
  cloud.resetStats();
  const values = await Promise.all(keys.map((k) => loader.load(k).catch((e: Error) => e)));
  if (faulted) return values;
  for (const [service, requests] of Object.entries(await recorded())) {
    expect(
      requests.filter((r, i) => requests.indexOf(r) !== i),
      `${service} URLs requested twice`,
    ).toEqual([]);
  }
  return values;
}

interface ByIdCase {
  name: keyof Loaders;
  /** Two known keys and one the upstream does not know. */
  keys(c: Cloud): { known: [unknown, unknown]; unknown: unknown };
  idOf(value: any): unknown;
}

const UNKNOWN_UUID = '00000000-0000-4000-8000-000000000000';
const serverWithDisk = (c: Cloud) => c.servers.filter((s) => c.legacyDisks.some((d) => d.instanceUuid === s.id));

const BY_ID: ByIdCase[] = [
  { name: 'instance', keys: (c) => ({ known: [c.servers[0].id, c.servers[3].id], unknown: UNKNOWN_UUID }), idOf: (v) => v.id },
  { name: 'image', keys: (c) => ({ known: [c.images[0].id, c.images[2].id], unknown: UNKNOWN_UUID }), idOf: (v) => v.id },
  { name: 'volume', keys: (c) => ({ known: [c.volumes[0].id, c.volumes[1].id], unknown: UNKNOWN_UUID }), idOf: (v) => v.id },
  { name: 'project', keys: (c) => ({ known: [c.projects[1].id, c.projects[0].id], unknown: 'no-such-project' }), idOf: (v) => v.id },
  { name: 'port', keys: (c) => ({ known: [c.ports[0].id, c.ports[1].id], unknown: UNKNOWN_UUID }), idOf: (v) => v.id },
  { name: 'floatingIp', keys: (c) => ({ known: [c.floatingIps[0].id, c.floatingIps[1].id], unknown: UNKNOWN_UUID }), idOf: (v) => v.id },
  { name: 'host', keys: (c) => ({ known: [c.hosts[1].id, c.hosts[0].id], unknown: 999_999 }), idOf: (v) => v.id },
  { name: 'legacyDisk', keys: (c) => ({ known: [c.legacyDisks[0].id, c.legacyDisks[1].id], unknown: 999_999 }), idOf: (v) => Number(v.id) },
  { name: 'flavor', keys: (c) => ({ known: [c.flavors[1].id, c.flavors[0].id], unknown: 'no-such-flavor' }), idOf: (v) => v.id },
];

describe('loaders by id keep the batch contract', () => {
  it.each(BY_ID)('$name: one entry per key in key order, null for an unknown key', async ({ name, keys, idOf }) => {
    const loaders = await requestLoaders();
    const { known, unknown } = keys(cloud.cloud);
    const asked = [known[0], unknown, known[1], known[0]];
    const values = await loadAll(loaders[name] as DataLoader<unknown, any>, asked);
    expect(values).toHaveLength(asked.length);
    expect(values.map((v) => (v === null ? null : idOf(v)))).toEqual([known[0], null, known[1], known[0]]);
  });
});

interface ListCase {
  name: keyof Loaders;
  /** Keys with what each should answer, as sorted ids from the seeded cloud; one key has nothing. */
  cases(c: Cloud): { key: unknown; ids: string[] }[];
  idOf(value: any): string;
}

const sorted = (ids: Iterable<string>) => [...ids].sort();
const instanceKey = (c: Cloud, s: Cloud['servers'][number]) => ({
  id: s.id,
  zoneName: s.zone,
  volumeIds: c.volumes.filter((v) => v.attachments.some((a) => a.serverId === s.id)).map((v) => v.id),
  floatingAddresses: c.floatingIps.filter((f) => c.ports.some((p) => p.id === f.portId && p.deviceId === s.id)).map((f) => f.address),
});
const unknownInstance = { id: UNKNOWN_UUID, zoneName: 'zone-a', volumeIds: [], floatingAddresses: [] };

const LISTS: ListCase[] = [
  {
    name: 'hostsByZone',
    cases: (c) => [
      ...c.zones.map((z) => ({ key: z.id, ids: sorted(c.hosts.filter((h) => h.zoneId === z.id).map((h) => String(h.id))) })),
      { key: 999_999, ids: [] },
    ],
    idOf: (h) => String(h.id),
  },
  {
    name: 'instancesByHost',
    cases: (c) => [
      ...c.hosts.slice(0, 3).map((h) => ({
        key: { zoneName: c.zones.find((z) => z.id === h.zoneId)!.name, hostname: h.hostname },
        ids: sorted(c.servers.filter((s) => s.host === h.hostname).map((s) => s.id)),
      })),
      { key: { zoneName: c.zones[0].name, hostname: 'no-such-host' }, ids: [] },
    ],
    idOf: (s) => s.id,
  },
  {
    name: 'legacyDisksByInstance',
    cases: (c) => [
      ...serverWithDisk(c)
        .slice(0, 3)
        .map((s) => ({ key: s.id, ids: sorted(c.legacyDisks.filter((d) => d.instanceUuid === s.id).map((d) => String(d.id))) })),
      { key: UNKNOWN_UUID, ids: [] },
    ],
    idOf: (d) => d.id,
  },
  {
    name: 'cinderDisksByInstance',
    cases: (c) => [
      ...c.servers.slice(0, 4).map((s) => ({ key: instanceKey(c, s), ids: sorted(instanceKey(c, s).volumeIds) })),
      { key: unknownInstance, ids: [] },
    ],
    idOf: (d) => d.id,
  },
  {
    name: 'portsByInstance',
    cases: (c) => [
      ...c.servers.slice(0, 4).map((s) => ({ key: s.id, ids: sorted(c.ports.filter((p) => p.deviceId === s.id).map((p) => p.id)) })),
      { key: UNKNOWN_UUID, ids: [] },
    ],
    idOf: (p) => p.id,
  },
  {
    name: 'floatingIpsByInstance',
    cases: (c) => [
      ...c.servers
        .filter((s) => instanceKey(c, s).floatingAddresses.length > 0)
        .slice(0, 3)
        .map((s) => ({
          key: instanceKey(c, s),
          ids: sorted(c.floatingIps.filter((f) => instanceKey(c, s).floatingAddresses.includes(f.address)).map((f) => f.id)),
        })),
      { key: unknownInstance, ids: [] },
    ],
    idOf: (f) => f.id,
  },
];

describe('loaders of lists keep the batch contract', () => {
  it.each(LISTS)('$name: one list per key in key order, [] for a key with nothing', async ({ name, cases, idOf }) => {
    const loaders = await requestLoaders();
    const expected = cases(cloud.cloud);
    expect(expected.filter((e) => e.ids.length > 0).length, 'the seeded cloud has data for this case').toBeGreaterThan(0);
    const values = await loadAll(
      loaders[name] as DataLoader<unknown, any[]>,
      expected.map((e) => e.key),
    );
    expect(values).toHaveLength(expected.length);
    expect(values.map((v) => sorted((v as any[]).map(idOf)))).toEqual(expected.map((e) => e.ids));
  });
});

describe('a failing key fails alone', () => {
  afterAll(() => {
    for (const s of SERVICE_NAMES) cloud.setFaults(s, { failUrlsContaining: '' });
  });

  it('legacyDisk: one disk GET failing is an Error at that key; the others answer', async () => {
    // The largest id fails: no other disk's URL contains its digits.
    const [b, a, c] = cloud.cloud.legacyDisks.map((d) => d.id).sort((x, y) => y - x);
    cloud.setFaults('legacy', { failUrlsContaining: `/disks/${b}` });
    const values = await loadAll((await requestLoaders()).legacyDisk, [a, b, c], true);
    expect(values.map((v) => (v instanceof Error ? 'error' : Number((v as any).id)))).toEqual([a, 'error', c]);
    // The region controller's web server answers a failed backend with a 502 page (DESIGN.md): unavailable.
    expect((values[1] as any).extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', service: 'legacy' });
  });

  it('hostsByZone: one zone failing is an Error at that zone; the others answer', async () => {
    const [z1, z2] = cloud.cloud.zones.map((z) => z.id);
    cloud.setFaults('legacy', { failUrlsContaining: `/zones/${z2}/hosts` });
    const values = await loadAll((await requestLoaders()).hostsByZone, [z1, z2], true);
    expect(Array.isArray(values[0]) && (values[0] as unknown[]).length).toBeGreaterThan(0);
    expect(values[1]).toBeInstanceOf(Error);
  });

  it('image: a failed id=in: chunk fails only the ids it carried', async () => {
    // A small URL budget splits the images into several chunks; the chunk naming the first image fails.
    const images = cloud.cloud.images
      .filter((i) => !i.hidden)
      .slice(0, 20)
      .map((i) => i.id);
    expect(images.length).toBe(20);
    cloud.setFaults('glance', { failUrlsContaining: images[0] });
    const values = await loadAll((await requestLoaders(configWith({ batching: { maxUrlBytes: 512 } }))).image, images, true);
    const failed = values.filter((v) => v instanceof Error).length;
    expect(failed).toBeGreaterThan(0);
    expect(failed).toBeLessThan(images.length);
    values.forEach((v, i) => v instanceof Error || expect((v as any).id).toBe(images[i]));
  });
});
