// The workload queries users run (test/fixtures/queries) answer exactly what the seeded cloud holds, on both
// runtimes: every answer is compared field by field with expectations computed from the emulators' own data
// (test/helpers/seed-view.ts), never from the gateway. Metric fields are stripped: metering is not wired yet.
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken, startTestCloud, type DemoCloud } from '../helpers/cloud.ts';
import { RUNTIMES, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { canonicalInstance, novaOrder, seedView, type SeedView } from '../helpers/seed-view.ts';
import { toGlobalId } from '../../resolvers/global-id.ts';

/** A workload query without its metric fields (they answer MOSAIC_ERR_METRICS_OFF until MongoDB lands). */
const workload = (name: string) =>
  readFileSync(new URL(`../fixtures/queries/${name}.graphql`, import.meta.url), 'utf8').replace(/^\s*(metrics|cpuUtilAvg)\(.*\n/gm, '');

let cloud: DemoCloud;
let seed: SeedView;
let adminToken: string;
let aliceToken: string;

beforeAll(async () => {
  // `small` so that paging crosses the default page size and every zone has boot-from-volume servers and legacy disks.
  cloud = await startTestCloud({ size: 'small' });
  seed = seedView(cloud.cloud);
  [adminToken, aliceToken] = (await Promise.all([issueToken(cloud, 'admin'), issueToken(cloud, 'alice')])).map((t) => t.token);
});
afterAll(() => cloud?.close());

describe.each(RUNTIMES)('workload queries on %s', (runtime) => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway(cloud, runtime);
  });
  afterAll(() => gw?.close());

  it('answers fleet-tree with every zone, host, instance and disk the cloud holds', async () => {
    const { status, body } = await gw.query(workload('fleet-tree'), {}, adminToken);
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const expected = seed.zonesInOrder().map((z) => ({
      id: toGlobalId('Zone', z.id),
      name: z.name,
      hosts: seed.hostsOfZone(z.id).map((h) => ({
        id: toGlobalId('Host', h.id),
        hostname: h.hostname,
        status: seed.hostStatus(h.status),
        instances: seed
          .serversOnHost(h.hostname)
          .map((s) => {
            const flavor = seed.flavorOf(s);
            const image = seed.imageOf(s);
            return {
              id: toGlobalId('Instance', s.id),
              name: s.name,
              status: s.status,
              flavor: { vcpus: flavor.vcpus, ramMb: flavor.ram },
              image: image ? { name: image.name } : null,
              disks: seed.disksOf(s.id).map(({ id, sizeGb, volumeType, backend }) => ({ id, sizeGb, volumeType, backend })),
            };
          })
          .sort((a, b) => (a.id < b.id ? -1 : 1)),
      })),
    }));
    // Instances per host compared as a set keyed by id; each instance's disks as a set too.
    const actual = body.data.zones.map((z: any) => ({
      ...z,
      hosts: z.hosts.map((h: any) => ({ ...h, instances: h.instances.map(canonicalInstance).sort((a: any, b: any) => (a.id < b.id ? -1 : 1)) })),
    }));
    expect(actual).toEqual(expected);
    expect(actual.flatMap((z: any) => z.hosts.flatMap((h: any) => h.instances))).toHaveLength(cloud.cloud.servers.length);
  });

  it('answers zone-console for each zone with hosts, capacity, instances and their network and storage', async () => {
    for (const z of seed.zonesInOrder()) {
      const { body } = await gw.query(workload('zone-console'), { zoneId: toGlobalId('Zone', z.id) }, adminToken);
      expect(body.errors).toBeUndefined();
      const instanceOf = (s: (typeof cloud.cloud.servers)[number]) => {
        const flavor = seed.flavorOf(s);
        const image = seed.imageOf(s);
        return canonicalInstance({
          name: s.name,
          status: s.status,
          createdAt: s.createdAt.toISOString(),
          project: { name: cloud.cloud.projects.find((p) => p.id === s.projectId)!.name },
          flavor: { name: flavor.name, vcpus: flavor.vcpus, ramMb: flavor.ram },
          image: image ? { name: image.name } : null,
          disks: seed.disksOf(s.id).map(({ sizeGb, volumeType, device }) => ({ sizeGb, volumeType, device })),
          ports: seed.portsOf(s.id).map((p) => ({ macAddress: p.macAddress, fixedIps: p.fixedIps.map((f) => ({ ipAddress: f.ipAddress })) })),
          floatingIps: seed.floatingIpsOf(s.id).map((f) => ({ address: f.address })),
        });
      };
      const byName = (a: any, b: any) => (a.name < b.name ? -1 : 1);
      const actual = {
        ...body.data.zone,
        hosts: body.data.zone.hosts.map((h: any) => ({ ...h, instances: h.instances.map(canonicalInstance).sort(byName) })),
      };
      expect(actual).toEqual({
        name: z.name,
        region: z.region,
        hosts: seed.hostsOfZone(z.id).map((h) => ({
          hostname: h.hostname,
          status: seed.hostStatus(h.status),
          capacity: { vcpus: h.vcpus, memoryMb: h.memoryMb, diskGb: h.diskGb },
          instances: seed.serversOnHost(h.hostname).map(instanceOf).sort(byName),
        })),
      });
    }
  });

  it('answers the dashboard with per-zone counts, capacity, allocation and provisioned disk', async () => {
    const { body } = await gw.query(workload('dashboard'), {}, adminToken);
    expect(body.errors).toBeUndefined();
    expect(body.data.fleet.zones).toEqual(seed.zonesInOrder().map((z) => seed.zoneStats(z.id)));
    // The figures are not trivially zero: every zone runs instances on disks of both backends.
    for (const z of body.data.fleet.zones) expect(z.instanceCount * z.vcpusAllocated * z.diskGbProvisioned).toBeGreaterThan(0);
  });

  it('resolves a mixed list of global ids in order, with null for unknown ones', async () => {
    const c = cloud.cloud;
    const server = c.servers[7];
    const volume = c.volumes.find((v) => v.attachments.length > 0)!;
    const attachedLegacy = c.legacyDisks.find((d) => d.instanceUuid !== null)!;
    const orphanLegacy = c.legacyDisks.find((d) => d.instanceUuid === null)!;
    const host = c.hosts[4];
    const zone = c.zones[1];
    const ids = [
      toGlobalId('Instance', server.id),
      toGlobalId('Disk', `cinder:${volume.id}`),
      toGlobalId('Host', host.id),
      toGlobalId('Instance', randomUUID()),
      toGlobalId('Disk', `legacy:${attachedLegacy.id}`),
      toGlobalId('Zone', zone.id),
      toGlobalId('Disk', `legacy:${orphanLegacy.id}`),
      toGlobalId('Disk', 'legacy:999999'),
      toGlobalId('Disk', `cinder:${randomUUID()}`),
      toGlobalId('Host', 999_999),
    ];
    const { body } = await gw.query(workload('sdk-nodes'), { ids }, adminToken);
    expect(body.errors).toBeUndefined();
    expect(body.data.nodes).toEqual([
      { id: ids[0], __typename: 'Instance', name: server.name, status: server.status },
      { id: ids[1], __typename: 'Disk', sizeGb: volume.size },
      { id: ids[2], __typename: 'Host', hostname: host.hostname },
      null,
      { id: ids[4], __typename: 'Disk', sizeGb: attachedLegacy.sizeGb },
      { id: ids[5], __typename: 'Zone' },
      { id: ids[6], __typename: 'Disk', sizeGb: orphanLegacy.sizeGb },
      null,
      null,
      null,
    ]);
  });

  it("pages my-instances to the end: every one of the member's instances once, newest first", async () => {
    const mine = seed.serversOf(seed.projectIdOf('alice'));
    const seen: any[] = [];
    let after: string | null = null;
    for (let page = 0; page < 50; page++) {
      const { body } = await gw.query(workload('my-instances'), { first: 10, after }, aliceToken);
      expect(body.errors).toBeUndefined();
      const conn: any = body.data.instances;
      expect(conn.totalCount).toBe(mine.length);
      seen.push(...conn.edges.map((e: any) => e.node));
      if (!conn.pageInfo.hasNextPage) break;
      after = conn.pageInfo.endCursor;
    }
    expect(new Set(seen.map((n) => n.id)).size).toBe(seen.length);
    expect(seen.map(canonicalInstance)).toEqual(
      mine.map((s) =>
        canonicalInstance({
          id: toGlobalId('Instance', s.id),
          name: s.name,
          status: s.status,
          image: seed.imageOf(s) ? { name: seed.imageOf(s)!.name } : null,
          flavor: { vcpus: seed.flavorOf(s).vcpus },
          disks: seed.disksOf(s.id).map((d) => ({ sizeGb: d.sizeGb })),
          floatingIps: seed.floatingIpsOf(s.id).map((f) => ({ address: f.address })),
        }),
      ),
    );
    // The default page size is 50; the member has more, so the first page says there is a next one.
    const { body } = await gw.query(workload('my-instances'), {}, aliceToken);
    expect(mine.length).toBeGreaterThan(50);
    expect(body.data.instances.edges).toHaveLength(50);
    expect(body.data.instances.pageInfo.hasNextPage).toBe(true);
  });

  it("answers instance-detail of a member's own instances in full, except the admin-only host", async () => {
    const mine = seed.serversOf(seed.projectIdOf('alice'));
    expect(mine.some((s) => s.imageId === '')).toBe(true);
    const answers = await Promise.all(mine.map((s) => gw.query(workload('instance-detail'), { id: toGlobalId('Instance', s.id) }, aliceToken)));
    answers.forEach(({ body }, i) => {
      expect(body.errors).toEqual([
        expect.objectContaining({ path: ['instance', 'host'], extensions: expect.objectContaining({ code: 'FORBIDDEN' }) }),
      ]);
      expect(canonicalInstance(body.data.instance)).toEqual(seed.instanceDetail(mine[i], false));
    });
  });

  it('answers instance-detail of any instance to an administrator, host included', async () => {
    const c = cloud.cloud;
    const sample = [...c.servers.filter((_, i) => i % 9 === 0), ...c.servers.filter((s) => s.imageId === '').slice(0, 5)];
    const answers = await Promise.all(sample.map((s) => gw.query(workload('instance-detail'), { id: toGlobalId('Instance', s.id) }, adminToken)));
    expect(new Set(sample.map((s) => s.projectId)).size).toBe(new Set(c.servers.map((s) => s.projectId)).size); // every project with servers
    answers.forEach(({ body }, i) => {
      expect(body.errors).toBeUndefined();
      expect(canonicalInstance(body.data.instance)).toEqual(seed.instanceDetail(sample[i], true));
    });
  });

  it('gives an instance booted from a volume no image, and its bootable root volume as a disk', async () => {
    const server = cloud.cloud.servers.find((s) => s.imageId === '')!;
    const { body } = await gw.query(
      'query($id: ID!) { instance(id: $id) { image { name } disks { bootable sizeGb } } }',
      { id: toGlobalId('Instance', server.id) },
      adminToken,
    );
    expect(body.errors).toBeUndefined();
    expect(body.data.instance.image).toBeNull();
    expect(body.data.instance.disks).toContainEqual({ bootable: true, sizeGb: 40 });
  });

  it('finds an instance by its bare Nova UUID as by its global id', async () => {
    const server = cloud.cloud.servers.find((s) => s.projectId === seed.projectIdOf('alice'))!;
    const q = 'query($id: ID!) { instance(id: $id) { id uuid name } }';
    const [byUuid, byGlobal] = await Promise.all([
      gw.query(q, { id: server.id }, aliceToken),
      gw.query(q, { id: toGlobalId('Instance', server.id) }, aliceToken),
    ]);
    expect(byUuid.body).toEqual({ data: { instance: { id: toGlobalId('Instance', server.id), uuid: server.id, name: server.name } } });
    expect(byGlobal.body).toEqual(byUuid.body);
  });

  it('answers null without an error for an instance that does not exist', async () => {
    const q = 'query($a: ID!, $b: ID!) { a: instance(id: $a) { id } b: instance(id: $b) { id } }';
    for (const token of [adminToken, aliceToken]) {
      const { body } = await gw.query(q, { a: randomUUID(), b: toGlobalId('Instance', randomUUID()) }, token);
      expect(body).toEqual({ data: { a: null, b: null } });
    }
  });
});

// Keeps `novaOrder` honest: the seed's order for a project is what Nova itself sends (checked once, not per runtime).
describe('seed expectations', () => {
  it("orders a project's servers as Nova lists them", async () => {
    const res = await fetch(`${cloud.urls.nova}/v2.1/servers/detail?limit=1000`, { headers: { 'x-auth-token': aliceToken } });
    const body = (await res.json()) as { servers: { id: string }[] };
    expect(body.servers.map((s) => s.id)).toEqual(
      cloud.cloud.servers
        .filter((s) => s.projectId === seed.projectIdOf('alice'))
        .sort(novaOrder)
        .map((s) => s.id),
    );
  });
});
