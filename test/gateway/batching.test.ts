// Batching, asserted from what the emulated upstreams recorded (DESIGN.md "Batching: the rules"): one list call
// per upstream endpoint per query level where the upstream allows it, multi-key lookups chunked (legacy ≤ 50
// ids, URLs under 4 KB), Nova's all_tenants pages followed to the end, never a per-host or per-key fan-out,
// never the same URL twice in one request — and a repeated query costs the same, since nothing caller-visible is
// cached across requests (only Keystone token validation is).
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken, startTestCloud, statsOf, type DemoCloud, type ServiceName } from '../helpers/cloud.ts';
import { RUNTIMES, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { toGlobalId } from '../../resolvers/global-id.ts';
import { SERVICE_NAMES } from '../../subgraphs/demo-cloud.ts';
import { seedView } from '../helpers/seed-view.ts';

const queryText = (name: string) =>
  readFileSync(new URL(`../fixtures/queries/${name}.graphql`, import.meta.url), 'utf8').replace(/^\s*(metrics|cpuUtilAvg)\(.*\n/gm, '');

/** Nova and Cinder page size (osapi_max_limit); a full page carries rel=next, so N items take floor(N/1000)+1 calls. */
const PAGE = 1000;
const pagesOf = (items: number) => Math.floor(items / PAGE) + 1;
/** How many keys of `perKeyBytes` fit in a URL with room to spare under 4 KB (the gateway's budget is 4000 bytes). */
const keysPerUrl = (perKeyBytes: number) => Math.floor(3800 / perKeyBytes);
const UUID_BYTES = 36;

type Requests = Record<ServiceName, string[]>;
interface Measured {
  data: any;
  requests: Requests;
}

/** Runs one query with the upstreams' counters zeroed first, and returns its answer and every request it caused. */
async function measure(cloud: DemoCloud, gw: TestGateway, name: string, variables: Record<string, unknown>, token: string): Promise<Measured> {
  cloud.resetStats();
  const { status, body } = await gw.query(queryText(name), variables, token);
  expect(status).toBe(200);
  expect(body.errors).toBeUndefined();
  const stats = await Promise.all(SERVICE_NAMES.map((s) => statsOf(cloud, s)));
  // Revocation-event polls run in the background (datasources/keystone/revocations.ts): not the query's calls; nor
  // is each endpoint root's version document, read once per gateway at first use (datasources/discovery/).
  const own = (r: string) => !r.startsWith('GET /v3/OS-REVOKE/') && !/^GET \/(versions)?$/.test(r);
  return { data: body.data, requests: Object.fromEntries(SERVICE_NAMES.map((s, i) => [s, stats[i].requests.filter(own)])) as Requests };
}

/** The rules every query obeys: no URL requested twice, every URL under 4096 bytes. */
function expectNoRepeatsAndShortUrls(cloud: DemoCloud, { requests }: Measured) {
  for (const service of SERVICE_NAMES) {
    const seen = requests[service];
    expect(
      seen.filter((r, i) => seen.indexOf(r) !== i),
      `${service} URLs requested twice`,
    ).toEqual([]);
    for (const r of seen) expect(Buffer.byteLength(cloud.urls[service] + r.slice(r.indexOf(' ') + 1)), r.slice(0, 80)).toBeLessThan(4096);
  }
}

const count = (list: string[], pattern: RegExp) => list.filter((r) => pattern.test(r)).length;
const NOVA_LIST = /^GET \/v2\.1\/servers\/detail(\?|$)/;
const NOVA_ONE = /^GET \/v2\.1\/servers\/(?!detail\b)[^/?]+(\?|$)/;
const CINDER_LIST = /^GET \/v3\/[^/]+\/volumes\/detail(\?|$)/;
const CINDER_ONE = /^GET \/v3\/[^/]+\/volumes\/(?!detail\b|summary\b)[^/?]+(\?|$)/;
const CINDER_SUMMARY = /^GET \/v3\/[^/]+\/volumes\/summary\?/;
const GLANCE_LIST = /^GET \/v2\/images(\?|$)/;
const GLANCE_ONE = /^GET \/v2\/images\/[^/?]+/;
const LEGACY_DISKS = /^GET \/disks\?instance_uuids=/;
const query = (r: string) => new URLSearchParams(r.slice(r.indexOf('?') + 1));

/** The uuids of each legacy `/disks?instance_uuids=` call. */
const legacyDiskChunks = (requests: Requests) =>
  requests.legacy.filter((r) => LEGACY_DISKS.test(r)).map((r) => query(r).get('instance_uuids')!.split(','));
/** The ids of each Glance `id=in:` call. */
const glanceChunks = (requests: Requests) =>
  requests.glance.filter((r) => GLANCE_LIST.test(r)).map((r) => (query(r).get('id') ?? '').replace(/^in:/, '').split(','));

/** The dashboard's provisioned disk per zone name, as answered and as the seed says (seed-view.ts zoneStats). */
const provisionedByZone = (data: any) => Object.fromEntries(data.fleet.zones.map((z: any) => [z.zone.name, z.diskGbProvisioned]));
const provisionedBySeed = (cloud: DemoCloud) =>
  Object.fromEntries(cloud.cloud.zones.map((z) => [z.name, seedView(cloud.cloud).zoneStats(z.id).diskGbProvisioned]));

const instancesOfTree = (data: any): string[] => data.zones.flatMap((z: any) => z.hosts.flatMap((h: any) => h.instances.map((i: any) => i.id)));

/** Zone-console's Nova calls: a zone-scoped or all-tenants list, whichever the loader chose, never one per host. */
function expectZoneScopedNova(requests: Requests, zoneName: string, allTenantsPages: number) {
  const nova = requests.nova;
  expect(nova.length).toBeGreaterThan(0);
  for (const r of nova) {
    expect(r).toMatch(NOVA_LIST);
    const q = query(r);
    expect(q.get('all_tenants'), r).toBe('1');
    expect(q.has('host'), r).toBe(false);
    if (q.has('availability_zone')) expect(q.get('availability_zone')).toBe(zoneName);
  }
  expect(nova.length).toBeLessThanOrEqual(allTenantsPages);
}

let small: DemoCloud;
let medium: DemoCloud;
beforeAll(async () => {
  [small, medium] = await Promise.all([startTestCloud({ size: 'small' }), startTestCloud({ size: 'medium' })]);
}, 30_000);
afterAll(async () => {
  await Promise.all([small?.close(), medium?.close()]);
});

describe.each(RUNTIMES)('batching on %s', (runtime) => {
  describe('on a small cloud', () => {
    let cloud: DemoCloud;
    let gw: TestGateway;
    let admin: string;
    let alice: string;
    beforeAll(async () => {
      cloud = small;
      gw = await startTestGateway(cloud, runtime);
      [admin, alice] = (await Promise.all([issueToken(cloud, 'admin'), issueToken(cloud, 'alice')])).map((t) => t.token);
    });
    afterAll(() => gw?.close());

    it('answers fleet-tree with one list call per upstream and legacy disks in chunks of at most 50', async () => {
      const m = await measure(cloud, gw, 'fleet-tree', {}, admin);
      const { requests: r } = m;
      const instances = instancesOfTree(m.data);
      expect(instances.length).toBe(cloud.cloud.servers.filter((s) => s.status !== 'DELETED').length);
      expect(count(r.nova, NOVA_LIST)).toBe(1);
      expect(count(r.cinder, CINDER_LIST)).toBe(1);
      expect(count(r.glance, GLANCE_LIST)).toBe(1);
      expect([count(r.nova, NOVA_ONE), count(r.cinder, CINDER_ONE), count(r.glance, GLANCE_ONE)]).toEqual([0, 0, 0]);
      const chunks = legacyDiskChunks(r);
      expect(chunks.length).toBe(Math.ceil(instances.length / 50));
      for (const c of chunks) expect(c.length).toBeLessThanOrEqual(50);
      expect(chunks.flat().sort()).toEqual(instances.map((id) => Buffer.from(id, 'base64url').toString().slice('Instance:'.length)).sort());
      const hostLists = r.legacy.filter((q) => /^GET \/zones\/\d+\/hosts/.test(q)).map((q) => Number(/\/zones\/(\d+)\//.exec(q)![1]));
      expect(hostLists.sort()).toEqual(cloud.cloud.zones.map((z) => z.id).sort());
      expectNoRepeatsAndShortUrls(cloud, m);
    });

    it("lists one zone's servers for zone-console with a zone-scoped or all-tenants call, never per host", async () => {
      const zone = cloud.cloud.zones[0];
      const m = await measure(cloud, gw, 'zone-console', { zoneId: toGlobalId('Zone', zone.id) }, admin);
      const instances = m.data.zone.hosts.flatMap((h: any) => h.instances).length;
      expect(instances).toBeGreaterThan(0);
      expectZoneScopedNova(m.requests, zone.name, pagesOf(cloud.cloud.servers.length));
      expect(count(m.requests.legacy, LEGACY_DISKS)).toBe(Math.ceil(instances / 50));
      expect(count(m.requests.glance, GLANCE_ONE) + count(m.requests.cinder, CINDER_ONE)).toBe(0);
      expectNoRepeatsAndShortUrls(cloud, m);
    });

    it('fetches nothing twice for instance-detail', async () => {
      const server = cloud.cloud.servers.find((s) => s.imageId && cloud.cloud.legacyDisks.some((d) => d.instanceUuid === s.id))!;
      const m = await measure(cloud, gw, 'instance-detail', { id: toGlobalId('Instance', server.id) }, admin);
      expect(m.data.instance.name).toBe(server.name);
      expect(m.requests.nova.length).toBe(1);
      expectNoRepeatsAndShortUrls(cloud, m);
    });

    it("reads each zone's Cinder disk total from one volumes summary per zone, never the volume list, for the dashboard", async () => {
      const m = await measure(cloud, gw, 'dashboard', {}, admin);
      const summaries = m.requests.cinder.filter((r) => CINDER_SUMMARY.test(r));
      expect(summaries.map((r) => query(r).get('availability_zone')).sort()).toEqual(cloud.cloud.zones.map((z) => z.name).sort());
      for (const r of summaries) expect(query(r).get('all_tenants'), r).toBe('1');
      expect(count(m.requests.cinder, CINDER_LIST) + count(m.requests.cinder, CINDER_ONE)).toBe(0);
      expect(provisionedByZone(m.data)).toEqual(provisionedBySeed(cloud));
      expectNoRepeatsAndShortUrls(cloud, m);
    });

    it("lists alice's instances with one Nova call in her own scope", async () => {
      const m = await measure(cloud, gw, 'my-instances', {}, alice);
      expect(m.data.instances.edges.length).toBeGreaterThan(0);
      expect(m.requests.nova.length).toBe(1);
      expect(m.requests.nova[0]).toMatch(NOVA_LIST);
      expect(query(m.requests.nova[0]).has('all_tenants')).toBe(false);
      expectNoRepeatsAndShortUrls(cloud, m);
    });

    it('costs the same the second time: only the token validation is cached across requests', async () => {
      // A fresh token, so the first query has to validate it.
      const token = (await issueToken(cloud, 'admin')).token;
      const aliceToken = (await issueToken(cloud, 'alice')).token;
      const runs: [string, Record<string, unknown>, string][] = [
        ['fleet-tree', {}, token],
        ['zone-console', { zoneId: toGlobalId('Zone', cloud.cloud.zones[1].id) }, token],
        ['instance-detail', { id: toGlobalId('Instance', cloud.cloud.servers[7].id) }, token],
        ['my-instances', {}, aliceToken],
      ];
      const validations = (m: Measured) => m.requests.keystone.filter((r) => r === 'GET /v3/auth/tokens').length;
      const rest = (m: Measured) =>
        SERVICE_NAMES.flatMap((s) => m.requests[s].filter((r) => r !== 'GET /v3/auth/tokens').map((r) => `${s} ${r}`)).sort();
      let validated = 0;
      for (const [name, variables, tok] of runs) {
        const first = await measure(cloud, gw, name, variables, tok);
        const second = await measure(cloud, gw, name, variables, tok);
        validated += validations(first);
        expect(validations(second), `${name}: keystone validations the second time`).toBe(0);
        expect(rest(second), `${name}: upstream calls the second time`).toEqual(rest(first));
        expect(second.data).toEqual(first.data);
      }
      expect(validated, 'each fresh token validated exactly once').toBe(2);
    });
  });

  describe('on a medium cloud (4000 instances)', () => {
    let cloud: DemoCloud;
    let gw: TestGateway;
    let admin: string;
    beforeAll(async () => {
      cloud = medium;
      gw = await startTestGateway(cloud, runtime);
      admin = (await issueToken(cloud, 'admin')).token;
    });
    afterAll(() => gw?.close());

    it("pages Nova's all_tenants list for fleet-tree while Glance and legacy disk calls grow only by chunking", async () => {
      const m = await measure(cloud, gw, 'fleet-tree', {}, admin);
      const { requests: r } = m;
      const instances = instancesOfTree(m.data);
      expect(instances.length).toBe(4000);
      // Nova: the all_tenants list, page after page (markers), nothing else.
      expect(r.nova.length).toBe(pagesOf(instances.length));
      for (const q of r.nova) expect(query(q).get('all_tenants'), q).toBe('1');
      expect(r.nova.filter((q) => query(q).has('marker')).length).toBe(r.nova.length - 1);
      expect(count(r.cinder, CINDER_LIST)).toBe(pagesOf(cloud.cloud.volumes.length));
      expect(count(r.cinder, CINDER_ONE)).toBe(0);
      // Glance: one id=in: list per URL-sized chunk of the distinct images, no id asked twice.
      const distinctImages = new Set(cloud.cloud.servers.map((s) => s.imageId).filter(Boolean)).size;
      const ids = glanceChunks(r).flat();
      expect(new Set(ids).size).toBe(ids.length);
      expect(new Set(ids).size).toBe(distinctImages);
      expect(r.glance.length).toBeLessThanOrEqual(Math.ceil(distinctImages / keysPerUrl(UUID_BYTES + 1)));
      const chunks = legacyDiskChunks(r);
      expect(chunks.length).toBe(Math.ceil(instances.length / 50));
      for (const c of chunks) expect(c.length).toBeLessThanOrEqual(50);
      expect(r.legacy.filter((q) => /^GET \/zones\/\d+\/hosts/.test(q)).length).toBe(cloud.cloud.zones.length);
      expectNoRepeatsAndShortUrls(cloud, m);
    }, 30_000);

    it('keeps lists for fleet-tree once the sizes and round trips are learned: hundreds of single GETs would take longer', async () => {
      // The planner prices plans by expected time (datasources/planner/cost-model.ts); a warm gateway may pick the
      // zones' lists in parallel over the all-tenants marker chain, but never per-host or per-volume fan-outs here.
      await measure(cloud, gw, 'fleet-tree', {}, admin);
      const m = await measure(cloud, gw, 'fleet-tree', {}, admin);
      const { requests: r } = m;
      expect(instancesOfTree(m.data).length).toBe(4000);
      for (const q of r.nova) expect(q).toMatch(NOVA_LIST);
      expect(r.nova.filter((q) => query(q).has('host'))).toEqual([]);
      expect(count(r.cinder, CINDER_ONE)).toBe(0);
      expect(count(r.cinder, CINDER_LIST)).toBeGreaterThan(0);
      expectNoRepeatsAndShortUrls(cloud, m);
    }, 60_000);

    it("keeps zone-console's Nova calls zone-wide and its Neutron calls within URL chunks", async () => {
      const zone = cloud.cloud.zones[2];
      const m = await measure(cloud, gw, 'zone-console', { zoneId: toGlobalId('Zone', zone.id) }, admin);
      const { requests: r } = m;
      const instances = m.data.zone.hosts.flatMap((h: any) => h.instances);
      expect(instances.length).toBe(1000);
      expectZoneScopedNova(r, zone.name, pagesOf(cloud.cloud.servers.length));
      const floating = instances.filter((i: any) => i.floatingIps.length > 0).length;
      expect(count(r.neutron, /^GET \/v2\.0\/ports(\?|$)/)).toBeLessThanOrEqual(
        Math.ceil(instances.length / keysPerUrl('device_id='.length + UUID_BYTES + 1)),
      );
      expect(count(r.neutron, /^GET \/v2\.0\/floatingips(\?|$)/)).toBeLessThanOrEqual(
        Math.ceil(floating / keysPerUrl('floating_ip_address='.length + 16)),
      );
      expect(r.neutron.length).toBe(count(r.neutron, /^GET \/v2\.0\/(ports|floatingips)(\?|$)/));
      expect(count(r.legacy, LEGACY_DISKS)).toBe(Math.ceil(instances.length / 50));
      const distinctImages = new Set(
        cloud.cloud.servers
          .filter((s) => s.zone === zone.name)
          .map((s) => s.imageId)
          .filter(Boolean),
      ).size;
      expect(r.glance.length).toBeLessThanOrEqual(Math.ceil(distinctImages / keysPerUrl(UUID_BYTES + 1)));
      expectNoRepeatsAndShortUrls(cloud, m);
    }, 30_000);
  });
});

describe('the dashboard on a Cinder without volumes summary (3.11)', () => {
  let cloud: DemoCloud;
  let gw: TestGateway;
  let admin: string;
  beforeAll(async () => {
    cloud = await startTestCloud({ size: 'small', maxMicroversion: { cinder: '3.11' } });
    gw = await startTestGateway(cloud, 'mercurius');
    admin = (await issueToken(cloud, 'admin')).token;
  });
  afterAll(async () => {
    await gw?.close();
    await cloud?.close();
  });

  it('sums the all-tenants volume list instead, with the same figures', async () => {
    const m = await measure(cloud, gw, 'dashboard', {}, admin);
    expect(count(m.requests.cinder, CINDER_SUMMARY)).toBe(0);
    expect(count(m.requests.cinder, CINDER_LIST)).toBe(1);
    expect(provisionedByZone(m.data)).toEqual(provisionedBySeed(cloud));
  });
});
