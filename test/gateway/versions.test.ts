// Real clouds as they are (issue #10): older Novas and Cinders, catalogs registered under historical types and
// URLs with or without version and project, services Mosaic cannot speak to, and list endpoints that are not
// there. The same query must give the same data on every supported cloud (compared with a current cloud of the
// same seed), each root's version document is read once per gateway, and what cannot be answered is an error at
// the field — never an empty list reported as success.
import diagnostics from 'node:diagnostics_channel';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken, startTestCloud, statsOf, type DemoCloud } from '../helpers/cloud.ts';
import { RUNTIMES, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import type { UpstreamCallMessage } from '../../core/diagnostics.ts';
import type { DemoCloudOptions } from '../../subgraphs/demo-cloud.ts';
import { toGlobalId } from '../../resolvers/global-id.ts';
import { CATALOG_STYLES } from '../../subgraphs/keystone/catalog-styles.ts';

const QUERY = /* GraphQL */ `
  query Everything {
    instances(first: 100) {
      totalCount
      edges {
        node {
          id
          name
          status
          flavor {
            name
            vcpus
            ramMb
            diskGb
          }
          image {
            id
            name
          }
          disks {
            id
            name
            sizeGb
            status
            backend
            device
          }
          ports {
            id
            macAddress
          }
          floatingIps {
            address
          }
        }
      }
    }
  }
`;
const USERS = ['alice', 'admin'] as const;
type User = (typeof USERS)[number];

/** The query's answer for each user, errors included. */
async function answers(cloud: DemoCloud, gw: TestGateway, query = QUERY) {
  const out = {} as Record<User, { data?: any; errors?: any[] }>;
  for (const user of USERS) out[user] = (await gw.query(query, {}, (await issueToken(cloud, user)).token)).body;
  return out;
}

/** The `OpenStack-API-Version` headers the gateway sent, per service, while `run` ran. */
async function sentVersions(run: () => Promise<unknown>): Promise<Record<string, Set<string>>> {
  const seen: Record<string, Set<string>> = {};
  const onStart = (m: unknown) => {
    const call = m as UpstreamCallMessage;
    const v = call.headers?.['openstack-api-version'];
    if (v) (seen[call.service] ??= new Set()).add(v);
  };
  diagnostics.subscribe('mosaic.upstream.start', onStart);
  try {
    await run();
  } finally {
    diagnostics.unsubscribe('mosaic.upstream.start', onStart);
  }
  return seen;
}

/** Version-document fetches each emulator saw since its counters were reset. */
async function documentFetches(cloud: DemoCloud) {
  const [nova, cinder, glance, neutron] = await Promise.all((['nova', 'cinder', 'glance', 'neutron'] as const).map((s) => statsOf(cloud, s)));
  return {
    nova: nova.byRoute['GET /'] ?? 0,
    cinder: cinder.byRoute['GET /'] ?? 0,
    glance: glance.byRoute['GET /versions'] ?? 0,
    neutron: neutron.byRoute['GET /'] ?? 0,
  };
}

let current: DemoCloud;
let reference: Record<User, { data?: any; errors?: any[] }>;
beforeAll(async () => {
  current = await startTestCloud();
  const gw = await startTestGateway(current, 'mercurius');
  try {
    reference = await answers(current, gw);
  } finally {
    await gw.close();
  }
  for (const user of USERS) {
    expect(reference[user].errors, user).toBeUndefined();
    expect(reference[user].data.instances.totalCount, user).toBeGreaterThan(0);
  }
  // The reference exercises every service: flavors, images, volumes and ports are all there.
  const nodes = reference.admin.data.instances.edges.map((e: any) => e.node);
  expect(nodes.some((n: any) => n.image && n.disks.some((d: any) => d.backend === 'CINDER') && n.ports.length > 0)).toBe(true);
}, 30_000);
afterAll(() => current?.close());

/** Clouds that differ from the current one only in what they offer or how they register: the same data comes back. */
const SAME_DATA: {
  name: string;
  options: DemoCloudOptions;
  expect: (sent: Record<string, Set<string>>, cloud: DemoCloud) => Promise<void> | void;
}[] = [
  {
    name: 'a Nova of 2.46 (servers carry only flavor ids: one flavors list fills them)',
    options: { maxMicroversion: { nova: '2.46' } },
    async expect(sent, cloud) {
      expect([...sent.nova]).toEqual(['compute 2.46']);
      const nova = (await statsOf(cloud, 'nova')).requests;
      // Two users, each query's flavors by id through exactly one flavors list.
      expect(nova.filter((r) => r.startsWith('GET /v2.1/flavors')).sort()).toEqual(['GET /v2.1/flavors/detail', 'GET /v2.1/flavors/detail']);
    },
  },
  {
    name: 'a Nova of 2.79 (the maximum Mosaic spoke before 2.88 was handled)',
    options: { maxMicroversion: { nova: '2.79' } },
    expect: (sent) => expect([...sent.nova]).toEqual(['compute 2.79']),
  },
  {
    name: 'a Nova of 2.52 (integer hypervisor ids)',
    options: { maxMicroversion: { nova: '2.52' } },
    expect: (sent) => expect([...sent.nova]).toEqual(['compute 2.52']),
  },
  {
    name: 'a Nova of 2.1 (the oldest microversion of the v2.1 API, Kilo)',
    options: { maxMicroversion: { nova: '2.1' } },
    expect: (sent) => expect([...sent.nova]).toEqual(['compute 2.1']),
  },
  {
    name: 'a Cinder of 3.0 (the oldest v3, Mitaka: marker pages, no counts)',
    options: { maxMicroversion: { cinder: '3.0' } },
    expect: (sent) => expect([...sent.cinder]).toEqual(['volume 3.0']),
  },
  {
    name: 'a Cinder of 3.40',
    options: { maxMicroversion: { cinder: '3.40' } },
    expect: (sent) => expect([...sent.cinder]).toEqual(['volume 3.40']),
  },
  {
    name: 'a catalog with Cinder only as volumev2 (…/v2/<project>) while its root offers v3',
    options: { catalogStyle: 'volumev2' },
    async expect(_, cloud) {
      const cinder = (await statsOf(cloud, 'cinder')).requests.filter((r) => r !== 'GET /');
      expect(cinder.length).toBeGreaterThan(0);
      for (const r of cinder) expect(r).toMatch(/^GET \/v3\/[0-9a-f]{32}\/volumes/);
    },
  },
  {
    name: 'a catalog of unversioned endpoints (…:8774/, …:8776/, …:9292/)',
    options: { catalogStyle: 'unversioned' },
    async expect(_, cloud) {
      for (const r of (await statsOf(cloud, 'cinder')).requests.filter((q) => q !== 'GET /')) expect(r).toMatch(/^GET \/v3\/[0-9a-f]{32}\/volumes/);
      for (const r of (await statsOf(cloud, 'nova')).requests.filter((q) => q !== 'GET /')) expect(r).toMatch(/^GET \/v2\.1\//);
    },
  },
  {
    name: 'a catalog with Cinder only as `volume` at a v1 URL (…/v1/<project>), Glance at …/v2 and Neutron at …/v2.0',
    options: { catalogStyle: 'volume-only' },
    async expect(sent, cloud) {
      // The URL says v1; the root's document offers v3, and v3 is what is spoken, at the negotiated microversion.
      expect([...sent.cinder]).toEqual(['volume 3.70']);
      const cinder = (await statsOf(cloud, 'cinder')).requests.filter((r) => r !== 'GET /');
      expect(cinder.length).toBeGreaterThan(0);
      for (const r of cinder) expect(r).toMatch(/^GET \/v3\/[0-9a-f]{32}\/volumes/);
      for (const r of (await statsOf(cloud, 'glance')).requests.filter((q) => q !== 'GET /versions')) expect(r).toMatch(/^GET \/v2\/images/);
      for (const r of (await statsOf(cloud, 'neutron')).requests.filter((q) => q !== 'GET /')) expect(r).toMatch(/^GET \/v2\.0\//);
    },
  },
  {
    name: 'a catalog with Cinder under all four aliases, block-storage at a retired root (tried first, by alias order)',
    options: { catalogStyle: 'every-alias' },
    async expect(_, cloud) {
      const requests = (await statsOf(cloud, 'cinder')).requests;
      // block-storage first (its root and its versioned URL serve no document), then volumev3's root; never the
      // v2 or v1 URLs the catalog lists before them.
      expect(requests.slice(0, 3)).toEqual(['GET /retired/', 'GET /retired/v3/', 'GET /']);
      for (const r of requests.slice(3)) expect(r).toMatch(/^GET \/v3\/[0-9a-f]{32}\/volumes/);
    },
  },
  {
    name: 'a catalog with Cinder at …/v3 without the project id',
    options: { catalogStyle: 'no-project-id' },
    async expect(_, cloud) {
      for (const r of (await statsOf(cloud, 'cinder')).requests.filter((q) => q !== 'GET /')) expect(r).toMatch(/^GET \/v3\/[0-9a-f]{32}\/volumes/);
    },
  },
];

describe.each(RUNTIMES)('versions and catalogs on %s', (runtime) => {
  describe('a current cloud', () => {
    let gw: TestGateway;
    beforeAll(async () => {
      gw = await startTestGateway(current, runtime);
    });
    afterAll(() => gw?.close());

    it("reads each service's version document once, sends the highest microversions both sides speak, and answers as before", async () => {
      current.resetStats();
      const sent = await sentVersions(async () => {
        for (let i = 0; i < 3; i++) expect(await answers(current, gw)).toEqual(reference);
      });
      expect(await documentFetches(current)).toEqual({ nova: 1, cinder: 1, glance: 1, neutron: 1 });
      expect(gw.services.stack.versions.fetched).toBe(4);
      expect([...sent.nova]).toEqual(['compute 2.96']);
      expect([...sent.cinder]).toEqual(['volume 3.70']);
    });

    it('reports a list endpoint answering 404 as UPSTREAM_ERROR at the field, not as an empty list, while a missing id stays null', async () => {
      const alice = (await issueToken(current, 'alice')).token;
      current.setFaults('nova', { failUrlsContaining: '/servers/detail', failStatus: 404 });
      current.setFaults('neutron', { failUrlsContaining: '/v2.0/ports', failStatus: 404 });
      try {
        const listed = await gw.query('{ instances(first: 5) { totalCount } zones { name } }', {}, alice);
        expect(listed.body.data?.instances).toBeNull();
        expect(listed.body.data?.zones.length).toBeGreaterThan(0);
        expect(listed.body.errors).toHaveLength(1);
        expect(listed.body.errors![0].path).toEqual(['instances']);
        expect(listed.body.errors![0].extensions).toMatchObject({
          code: 'UPSTREAM_ERROR',
          mosaicCode: 'MOSAIC_ERR_UPSTREAM_STATUS',
          service: 'nova',
          upstreamStatus: 404,
        });

        const server = current.cloud.servers.find((s) => s.projectId === current.cloud.users.find((u) => u.name === 'alice')!.projectId)!;
        const one = await gw.query(`{ instance(id: "${toGlobalId('Instance', server.id)}") { name ports { id } } }`, {}, alice);
        expect(one.body.data?.instance.name).toBe(server.name);
        expect(one.body.data?.instance.ports).toBeNull();
        expect(one.body.errors?.map((e: any) => [e.path, e.extensions.code, e.extensions.upstreamStatus])).toEqual([
          [['instance', 'ports'], 'UPSTREAM_ERROR', 404],
        ]);

        const missing = await gw.query(`{ instance(id: "${toGlobalId('Instance', randomUUID())}") { name } }`, {}, alice);
        expect(missing.body).toEqual({ data: { instance: null } });
      } finally {
        current.setFaults('nova', { failUrlsContaining: '', failStatus: 500 });
        current.setFaults('neutron', { failUrlsContaining: '', failStatus: 500 });
      }
    });
  });

  describe('Glance and Cinder list endpoints answering 404', () => {
    let gw: TestGateway;
    beforeAll(async () => {
      gw = await startTestGateway(current, runtime);
    });
    afterAll(() => gw?.close());

    it('reports a Glance image list and a Cinder volume list answering 404 as UPSTREAM_ERROR at their fields, never as empty lists', async () => {
      const alice = (await issueToken(current, 'alice')).token;
      current.setFaults('glance', { failUrlsContaining: '/v2/images?', failStatus: 404 });
      current.setFaults('cinder', { failUrlsContaining: '/volumes/detail', failStatus: 404 });
      try {
        const images = await gw.query('{ images(first: 5) { nodes { id } } zones { name } }', {}, alice);
        expect(images.body.data?.images).toBeNull();
        expect(images.body.data?.zones.length).toBeGreaterThan(0);
        expect(images.body.errors?.map((e: any) => [e.path, e.extensions])).toEqual([
          [
            ['images'],
            expect.objectContaining({ code: 'UPSTREAM_ERROR', mosaicCode: 'MOSAIC_ERR_UPSTREAM_STATUS', service: 'glance', upstreamStatus: 404 }),
          ],
        ]);

        // The fleet's disks (an administrator's unnarrowed tree reads Cinder's volume list): each instance with
        // Cinder volumes gets an error in its disks, its legacy disks standing — never a shorter list.
        const admin = (await issueToken(current, 'admin')).token;
        current.resetStats();
        const tree = await gw.query('{ zones { hosts { instances { id disks { backend } } } } }', {}, admin);
        expect((await statsOf(current, 'cinder')).requests.some((r) => r.includes('/volumes/detail'))).toBe(true);
        const instances = tree.body.data.zones.flatMap((z: any) => z.hosts.flatMap((h: any) => h.instances));
        let withCinder = 0;
        for (const i of instances) {
          const id = i.id;
          const uuid = current.cloud.servers.find((s) => toGlobalId('Instance', s.id) === id)!.id;
          if (!current.cloud.volumes.some((v) => v.attachments.some((a) => a.serverId === uuid))) continue;
          withCinder++;
          expect(i.disks.filter((d: unknown) => d === null)).toHaveLength(1);
        }
        expect(withCinder).toBeGreaterThan(0);
        expect(tree.body.errors).toHaveLength(withCinder);
        for (const e of tree.body.errors!) {
          expect(e.path.at(-2)).toBe('disks');
          expect(e.extensions).toMatchObject({ code: 'UPSTREAM_ERROR', service: 'cinder', upstreamStatus: 404 });
        }
      } finally {
        current.setFaults('glance', { failUrlsContaining: '', failStatus: 500 });
        current.setFaults('cinder', { failUrlsContaining: '', failStatus: 500 });
      }
    });
  });

  describe.each(SAME_DATA)('$name', ({ options, expect: expectMore }) => {
    let cloud: DemoCloud;
    let gw: TestGateway;
    beforeAll(async () => {
      cloud = await startTestCloud(options);
      gw = await startTestGateway(cloud, runtime);
    });
    afterAll(async () => {
      await gw?.close();
      await cloud?.close();
    });

    it('answers the same data as a current cloud, reading each version document once', async () => {
      cloud.resetStats();
      const sent = await sentVersions(async () => expect(await answers(cloud, gw)).toEqual(reference));
      await expectMore(sent, cloud);
      expect(await answers(cloud, gw)).toEqual(reference);
      expect(await documentFetches(cloud)).toEqual({ nova: 1, cinder: 1, glance: 1, neutron: 1 });
    });
  });

  describe('services below what Mosaic speaks', () => {
    let clouds: DemoCloud[] = [];
    afterAll(async () => {
      await Promise.all(clouds.map((c) => c.close()));
      clouds = [];
    });
    const start = async (options: DemoCloudOptions) => {
      const cloud = await startTestCloud(options);
      clouds.push(cloud);
      const gw = await startTestGateway(cloud, runtime);
      return { cloud, gw };
    };

    it('fails the instance fields with MOSAIC_ERR_UNSUPPORTED_VERSION when Nova offers only the legacy v2.0 API; the rest resolves', async () => {
      const { cloud, gw } = await start({ maxMicroversion: { nova: '2.0' } });
      try {
        const alice = (await issueToken(cloud, 'alice')).token;
        for (let i = 0; i < 2; i++) {
          const { body } = await gw.query('{ instances(first: 5) { totalCount } zones { name } }', {}, alice);
          expect(body.data?.instances).toBeNull();
          expect(body.data?.zones.length).toBeGreaterThan(0);
          expect(body.errors).toHaveLength(1);
          expect(body.errors![0]).toMatchObject({
            path: ['instances'],
            extensions: { code: 'UPSTREAM_ERROR', mosaicCode: 'MOSAIC_ERR_UNSUPPORTED_VERSION', service: 'nova' },
          });
          expect(body.errors![0].message).toContain('v2.0');
        }
        // No versioned call was tried, and the document was read once.
        expect((await statsOf(cloud, 'nova')).requests.filter((r) => r !== 'GET /')).toEqual([]);
        expect((await documentFetches(cloud)).nova).toBe(1);
      } finally {
        await gw.close();
      }
    });

    it('fails only the Cinder disks with MOSAIC_ERR_UNSUPPORTED_VERSION when Cinder offers only v2; legacy disks still resolve', async () => {
      const { cloud, gw } = await start({ maxMicroversion: { cinder: '2.0' } });
      try {
        const { body } = await gw.query(QUERY, {}, (await issueToken(cloud, 'alice')).token);
        const nodes = reference.alice.data.instances.edges.map((e: any) => e.node);
        const got = body.data?.instances.edges.map((e: any) => e.node);
        expect(got.map((n: any) => ({ ...n, disks: null }))).toEqual(nodes.map((n: any) => ({ ...n, disks: null })));
        // Each instance's disks: its legacy disks, and one null entry standing for the Cinder backend that failed.
        got.forEach((n: any, i: number) => {
          expect(n.disks.filter(Boolean)).toEqual(nodes[i].disks.filter((d: any) => d.backend !== 'CINDER'));
          expect(n.disks.filter((d: unknown) => d === null)).toHaveLength(1);
        });
        expect(body.errors?.length).toBe(nodes.length);
        for (const [i, err] of (body.errors ?? []).entries()) {
          expect(err.path).toEqual(['instances', 'edges', expect.any(Number), 'node', 'disks', expect.any(Number)]);
          expect(err.extensions, String(i)).toMatchObject({
            code: 'UPSTREAM_ERROR',
            mosaicCode: 'MOSAIC_ERR_UNSUPPORTED_VERSION',
            service: 'cinder',
          });
        }
      } finally {
        await gw.close();
      }
    });
  });
});

describe('Placement, found from its version document', () => {
  const USAGE = '{ zones { hosts { hostname usage { source vcpus { total used } } } } }';

  it.each(CATALOG_STYLES)('is used at its root in the %s catalog, its document read once, at the highest microversion both speak', async (style) => {
    const cloud = await startTestCloud({ catalogStyle: style, maxMicroversion: { placement: '1.17' } });
    const gw = await startTestGateway(cloud, 'mercurius');
    try {
      const admin = (await issueToken(cloud, 'admin')).token;
      cloud.resetStats();
      const sent = await sentVersions(async () => {
        for (let i = 0; i < 2; i++) {
          const { body } = await gw.query(USAGE, {}, admin);
          expect(body.errors).toBeUndefined();
          const hosts = body.data.zones.flatMap((z: any) => z.hosts);
          expect(hosts.length).toBe(cloud.cloud.hosts.length);
          for (const h of hosts) expect(h.usage.source).toBe('PLACEMENT');
        }
      });
      expect([...sent.placement]).toEqual(['placement 1.17']);
      const requests = (await statsOf(cloud, 'placement')).requests;
      expect(requests.filter((r) => r === 'GET /')).toHaveLength(1);
      for (const r of requests.filter((q) => q !== 'GET /')) expect(r).toMatch(/^GET \/resource_providers\/[0-9a-f-]{36}\/(inventories|usages)$/);
    } finally {
      await gw.close();
      await cloud.close();
    }
  });
});

describe('older emulated services', () => {
  let cloud: DemoCloud;
  let admin: string;
  beforeAll(async () => {
    cloud = await startTestCloud({ maxMicroversion: { nova: '2.52', cinder: '3.40' } });
    admin = (await issueToken(cloud, 'admin')).token;
  });
  afterAll(() => cloud?.close());
  const get = (url: string, version?: string) =>
    fetch(url, { headers: { 'x-auth-token': admin, ...(version ? { 'openstack-api-version': version } : {}) } });

  it('advertise their maximum in the version document and answer 406 above it', async () => {
    const root = await (await fetch(`${cloud.urls.nova}/`)).json();
    expect(root.versions.map((v: any) => [v.id, v.version])).toEqual([
      ['v2.0', ''],
      ['v2.1', '2.52'],
    ]);
    const above = await get(`${cloud.urls.nova}/v2.1/flavors`, 'compute 2.53');
    expect(above.status).toBe(406);
    expect(await above.json()).toEqual({
      computeFault: { code: 406, message: 'Version 2.53 is not supported by the API. Minimum is 2.1 and maximum is 2.52.' },
    });
    const cinderRoot = await fetch(`${cloud.urls.cinder}/`);
    expect(cinderRoot.status).toBe(300);
    expect((await cinderRoot.json()).versions.map((v: any) => [v.id, v.version, v.min_version])).toEqual([['v3.0', '3.40', '3.0']]);
    const project = cloud.cloud.projects.find((p) => p.name === 'admin')!.id;
    expect((await get(`${cloud.urls.cinder}/v3/${project}/volumes`, 'volume 3.41')).status).toBe(406);
    expect((await get(`${cloud.urls.cinder}/v3/${project}/volumes`, 'volume latest')).headers.get('openstack-api-version')).toBe('volume 3.40');
  });

  it('give hypervisors integer ids below 2.53', async () => {
    const res = await get(`${cloud.urls.nova}/v2.1/os-hypervisors/detail`, 'compute latest');
    expect(res.headers.get('openstack-api-version')).toBe('compute 2.52');
    const { hypervisors } = await res.json();
    expect(hypervisors.length).toBeGreaterThan(0);
    for (const h of hypervisors) expect(typeof h.id).toBe('number');
  });
});
