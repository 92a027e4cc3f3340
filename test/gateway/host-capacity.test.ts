// Hosts as real clouds show them (issue #10): capacity, used and free vCPUs, RAM and disk from Nova's
// os-hypervisors below microversion 2.88 and from Placement at 2.88+, and the host aggregates and availability zone
// from Nova's os-aggregates. Asserted on real emulators through the gateway over HTTP, with the upstream calls
// taken from what the emulators recorded: one hypervisor list and one aggregates list per request whatever the
// number of hosts, two Placement GETs per host only when usage is selected, nothing when it is not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken, startTestCloud, statsOf, type DemoCloud } from '../helpers/cloud.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { NO_FAULTS } from '../../subgraphs/emulator/emulator-server.ts';

const RESOURCE = 'total reserved allocationRatio schedulable used free';
const USAGE_QUERY = /* GraphQL */ `
  {
    zones {
      name
      hosts {
        hostname
        capacity { vcpus memoryMb diskGb }
        usage { source vcpus { ${RESOURCE} } memoryMb { ${RESOURCE} } diskGb { ${RESOURCE} } }
      }
    }
  }
`;
const AGGREGATES_QUERY = /* GraphQL */ `
  {
    zones {
      name
      hosts {
        hostname
        availabilityZone
        aggregates {
          id
          uuid
          name
          availabilityZone
          metadata
        }
      }
    }
  }
`;

/** What the servers on a host hold: flavor vCPUs, RAM, root + ephemeral disk (the emulators' allocations). */
function usedOn(cloud: DemoCloud, hostname: string) {
  const on = cloud.cloud.servers.filter((s) => s.host === hostname && s.status !== 'DELETED');
  const flavor = (id: string) => cloud.cloud.flavors.find((f) => f.id === id)!;
  return {
    vcpus: on.reduce((n, s) => n + flavor(s.flavorId).vcpus, 0),
    memoryMb: on.reduce((n, s) => n + flavor(s.flavorId).ram, 0),
    diskGb: on.reduce((n, s) => n + flavor(s.flavorId).disk + flavor(s.flavorId).ephemeral, 0),
  };
}

const hostsOf = (data: any): any[] => data.zones.flatMap((z: any) => z.hosts);

/** The requests each emulator recorded while `run` ran. */
async function recorded(cloud: DemoCloud, run: () => Promise<unknown>) {
  cloud.resetStats();
  await run();
  const [nova, placement] = await Promise.all([statsOf(cloud, 'nova'), statsOf(cloud, 'placement')]);
  return { nova: nova.requests, placement: placement.requests };
}

describe('host usage on a Nova of 2.88 or later: from Placement', () => {
  let cloud: DemoCloud;
  let gw: TestGateway;
  let admin: string;
  beforeAll(async () => {
    cloud = await startTestCloud();
    gw = await startTestGateway(cloud, 'mercurius');
    admin = (await issueToken(cloud, 'admin')).token;
  }, 30_000);
  afterAll(async () => {
    await gw?.close();
    await cloud?.close();
  });

  it('answers total, reserved, ratio, schedulable, used and free per resource from Placement inventories and usages', async () => {
    const r = await gw.query(USAGE_QUERY, {}, admin);
    expect(r.body.errors).toBeUndefined();
    const hosts = hostsOf(r.body.data);
    expect(hosts).toHaveLength(cloud.cloud.hosts.length);
    for (const h of hosts) {
      const seed = cloud.cloud.hosts.find((x) => x.hostname === h.hostname)!;
      const used = usedOn(cloud, h.hostname);
      // capacity keeps its meaning: the CMDB's hardware.
      expect(h.capacity).toEqual({ vcpus: seed.vcpus, memoryMb: seed.memoryMb, diskGb: seed.diskGb });
      expect(h.usage.source).toBe('PLACEMENT');
      expect(h.usage.vcpus).toEqual({
        total: seed.vcpus,
        reserved: 0,
        allocationRatio: 4,
        schedulable: seed.vcpus * 4,
        used: used.vcpus,
        free: seed.vcpus * 4 - used.vcpus,
      });
      expect(h.usage.memoryMb).toEqual({
        total: seed.memoryMb,
        reserved: 512,
        allocationRatio: 1,
        schedulable: seed.memoryMb - 512,
        used: used.memoryMb,
        free: seed.memoryMb - 512 - used.memoryMb,
      });
      expect(h.usage.diskGb).toEqual({
        total: seed.diskGb,
        reserved: 0,
        allocationRatio: 1,
        schedulable: seed.diskGb,
        used: used.diskGb,
        free: seed.diskGb - used.diskGb,
      });
    }
  });

  it('calls os-hypervisors once and each host’s provider twice, reading the version document once per gateway', async () => {
    await gw.query('{ zones { hosts { usage { source } } } }', {}, admin); // the version documents are read by now
    const calls = await recorded(cloud, () => gw.query(USAGE_QUERY, {}, admin));
    expect(calls.nova.filter((u) => u.includes('/os-hypervisors'))).toEqual(['GET /v2.1/os-hypervisors/detail?limit=1000']);
    const expected = cloud.cloud.hosts.flatMap((h) => [
      `GET /resource_providers/${h.hypervisorId}/inventories`,
      `GET /resource_providers/${h.hypervisorId}/usages`,
    ]);
    expect([...calls.placement].sort()).toEqual(expected.sort());
    // The version document is read once per gateway, not per request.
    expect(calls.placement.filter((u) => u === 'GET /')).toEqual([]);
  });

  it('counts two Placement GETs per host in the cost limit: usage of many hosts is refused before any call', async () => {
    // A limit the hosts' CMDB fields fit in (2 values a host), their Placement usage (2 GETs a host, 100 values each) does not.
    const maxCost = Math.max(300, 100 * cloud.cloud.hosts.length);
    const small = await startTestGateway(cloud, 'mercurius', { server: { port: 0, runtime: 'mercurius', maxCost } });
    try {
      const plain = await recorded(cloud, async () =>
        expect((await small.query('{ zones { hosts { hostname } } }', {}, admin)).body.errors).toBeUndefined(),
      );
      expect(plain.placement).toEqual([]);
      let res: any;
      const calls = await recorded(cloud, async () => (res = await small.query('{ zones { hosts { usage { source } } } }', {}, admin)));
      expect(res.body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', mosaicCode: 'MOSAIC_ERR_TOO_COSTLY' });
      expect(calls.placement).toEqual([]);
    } finally {
      await small.close();
    }
  });

  it('calls neither os-hypervisors, Placement nor os-aggregates when no usage or aggregate is selected', async () => {
    const calls = await recorded(cloud, () => gw.query('{ zones { hosts { hostname capacity { vcpus } } } }', {}, admin));
    expect(calls.placement).toEqual([]);
    expect(calls.nova.filter((u) => u.includes('os-hypervisors') || u.includes('os-aggregates'))).toEqual([]);
  });

  it('fails only the host whose provider fails, with an error at its usage path', async () => {
    const broken = cloud.cloud.hosts[1];
    cloud.setFaults('placement', { failUrlsContaining: broken.hypervisorId });
    try {
      const r = await gw.query(USAGE_QUERY, {}, admin);
      const hosts = hostsOf(r.body.data);
      expect(hosts.find((h) => h.hostname === broken.hostname).usage).toBeNull();
      expect(hosts.filter((h) => h.usage !== null)).toHaveLength(cloud.cloud.hosts.length - 1);
      expect(r.body.errors).toHaveLength(1);
      const [err] = r.body.errors!;
      expect(err.path.slice(-1)).toEqual(['usage']);
      expect(err.extensions).toMatchObject({ code: 'UPSTREAM_ERROR', service: 'placement' });
    } finally {
      cloud.setFaults('placement', NO_FAULTS);
    }
  });

  it('fails every usage with UPSTREAM_UNAVAILABLE when Placement is down, while the hosts and aggregates resolve', async () => {
    cloud.setFaults('placement', { down: true });
    try {
      const r = await gw.query('{ zones { hosts { hostname usage { source } availabilityZone } } }', {}, admin);
      const hosts = hostsOf(r.body.data);
      expect(hosts).toHaveLength(cloud.cloud.hosts.length);
      expect(hosts.every((h) => h.hostname && h.availabilityZone && h.usage === null)).toBe(true);
      expect(r.body.errors!.map((e: any) => [e.path.at(-1), e.extensions.code, e.extensions.service])).toEqual(
        hosts.map(() => ['usage', 'UPSTREAM_UNAVAILABLE', 'placement']),
      );
    } finally {
      cloud.setFaults('placement', NO_FAULTS);
    }
  });

  it('answers aggregates and availability zones with one os-aggregates call for every host', async () => {
    const calls = await recorded(cloud, async () => {
      const r = await gw.query(AGGREGATES_QUERY, {}, admin);
      expect(r.body.errors).toBeUndefined();
      const hosts = hostsOf(r.body.data);
      expect(hosts).toHaveLength(cloud.cloud.hosts.length);
      cloud.cloud.hosts.forEach((seed, i) => {
        const zone = cloud.cloud.zones.find((z) => z.id === seed.zoneId)!;
        const h = hosts.find((x) => x.hostname === seed.hostname);
        expect(h.availabilityZone).toBe(zone.name);
        const names = h.aggregates.map((a: any) => a.name).sort();
        expect(names).toEqual(i % 3 === 0 ? [`az-${zone.name}`, 'ssd'] : [`az-${zone.name}`]);
        expect(h.aggregates.find((a: any) => a.name === `az-${zone.name}`)).toMatchObject({
          availabilityZone: zone.name,
          metadata: { availability_zone: zone.name },
        });
        const ssd = h.aggregates.find((a: any) => a.name === 'ssd');
        if (ssd) expect(ssd).toMatchObject({ availabilityZone: null, metadata: { ssd: 'true' } });
      });
    });
    expect(calls.nova.filter((u) => u.includes('os-aggregates'))).toEqual(['GET /v2.1/os-aggregates']);
  });

  it('keeps hosts, their usage and aggregates from members', async () => {
    const alice = (await issueToken(cloud, 'alice')).token;
    const calls = await recorded(cloud, async () => {
      const r = await gw.query('{ zones { hosts { availabilityZone usage { source } } } }', {}, alice);
      expect(r.body.data.zones.every((z: any) => z.hosts === null)).toBe(true);
      expect(r.body.errors!.every((e: any) => e.extensions.code === 'FORBIDDEN')).toBe(true);
    });
    expect(calls.placement).toEqual([]);
    expect(calls.nova).toEqual([]);
  });

  it('fails the usage and aggregate fields with an error, not an empty answer, when Nova fails', async () => {
    cloud.setFaults('nova', { failUrlsContaining: '/os-', failStatus: 404 });
    try {
      const r = await gw.query('{ zones { hosts { hostname usage { source } aggregates { name } availabilityZone } } }', {}, admin);
      const hosts = hostsOf(r.body.data);
      expect(hosts.every((h) => h.hostname && h.usage === null && h.aggregates === null && h.availabilityZone === null)).toBe(true);
      expect(r.body.errors!.length).toBe(hosts.length * 3);
      expect(r.body.errors!.every((e: any) => e.extensions.code === 'UPSTREAM_ERROR' && e.extensions.upstreamStatus === 404)).toBe(true);
    } finally {
      cloud.setFaults('nova', NO_FAULTS);
    }
  });
});

// 2.87: the last microversion with capacity in os-hypervisors (paged by marker from 2.33); 2.32: one unpaged list.
describe.each([
  { nova: '2.87', list: 'GET /v2.1/os-hypervisors/detail?limit=1000' },
  { nova: '2.32', list: 'GET /v2.1/os-hypervisors/detail' },
])('host usage on a Nova of $nova: from os-hypervisors', ({ nova, list }) => {
  let cloud: DemoCloud;
  let gw: TestGateway;
  let admin: string;
  beforeAll(async () => {
    cloud = await startTestCloud({ maxMicroversion: { nova } });
    gw = await startTestGateway(cloud, 'mercurius');
    admin = (await issueToken(cloud, 'admin')).token;
  }, 30_000);
  afterAll(async () => {
    await gw?.close();
    await cloud?.close();
  });

  it('answers from Nova’s own figures with one os-hypervisors call and never calls Placement', async () => {
    const calls = await recorded(cloud, async () => {
      const r = await gw.query(USAGE_QUERY, {}, admin);
      expect(r.body.errors).toBeUndefined();
      for (const h of hostsOf(r.body.data)) {
        const seed = cloud.cloud.hosts.find((x) => x.hostname === h.hostname)!;
        const used = usedOn(cloud, h.hostname);
        expect(h.usage.source).toBe('NOVA');
        expect(h.usage.vcpus).toEqual({
          total: seed.vcpus,
          reserved: null,
          allocationRatio: null,
          schedulable: seed.vcpus,
          used: used.vcpus,
          free: seed.vcpus - used.vcpus,
        });
        expect(h.usage.memoryMb).toMatchObject({ total: seed.memoryMb, used: used.memoryMb, free: seed.memoryMb - used.memoryMb });
        expect(h.usage.diskGb).toMatchObject({ total: seed.diskGb, used: used.diskGb, free: seed.diskGb - used.diskGb });
      }
    });
    expect(calls.nova.filter((u) => u.includes('os-hypervisors'))).toEqual([list]);
    expect(calls.placement).toEqual([]);
  });
});
