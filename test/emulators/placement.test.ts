// Contract tests of the Placement emulator (subgraphs/placement/) and of Nova's os-aggregates: the version
// document, resource providers (one per hypervisor, uuid = the hypervisor's 2.53+ id), inventories and usages in
// the api-ref's shapes (https://docs.openstack.org/api-ref/placement/), usages that agree with the servers on the
// host and with Nova's os-hypervisors before 2.88, microversions, policy, errors, the catalog entry in every
// catalog style, and recorded requests. Real servers on loopback, real Keystone tokens.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken, startTestCloud, statsOf, type DemoCloud } from '../helpers/cloud.ts';
import { CATALOG_STYLES } from '../../subgraphs/keystone/catalog-styles.ts';

let demo: DemoCloud;
let admin: string;
let alice: string;
beforeAll(async () => {
  demo = await startTestCloud();
  [admin, alice] = await Promise.all([issueToken(demo, 'admin').then((t) => t.token), issueToken(demo, 'alice').then((t) => t.token)]);
});
afterAll(() => demo?.close());

async function call(service: 'placement' | 'nova', token: string | null, path: string, version?: string) {
  const headers: Record<string, string> = {};
  if (token) headers['x-auth-token'] = token;
  if (version) headers['openstack-api-version'] = version;
  const res = await fetch(`${demo.urls[service]}${path}`, { headers });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: text ? JSON.parse(text) : undefined };
}
const placement = (token: string | null, path: string, version?: string) => call('placement', token, path, version);

/** What the servers on a host add up to (flavor vCPUs, RAM, root + ephemeral disk), as allocations would. */
function expectedUsage(hostname: string) {
  const on = demo.cloud.servers.filter((s) => s.host === hostname && s.status !== 'DELETED');
  const flavor = (id: string) => demo.cloud.flavors.find((f) => f.id === id)!;
  return {
    VCPU: on.reduce((n, s) => n + flavor(s.flavorId).vcpus, 0),
    MEMORY_MB: on.reduce((n, s) => n + flavor(s.flavorId).ram, 0),
    DISK_GB: on.reduce((n, s) => n + flavor(s.flavorId).disk + flavor(s.flavorId).ephemeral, 0),
  };
}

describe('placement emulator', () => {
  it("serves Placement's version document at its root without a token, the API at the root (empty self link)", async () => {
    const r = await placement(null, '/');
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      versions: [{ id: 'v1.0', max_version: '1.39', min_version: '1.0', status: 'CURRENT', links: [{ rel: 'self', href: '' }] }],
    });
  });

  it('answers 401 without a token and 403 to members in Placement’s error shape', async () => {
    expect((await placement(null, '/resource_providers')).status).toBe(401);
    const r = await placement(alice, '/resource_providers', 'placement 1.39');
    expect(r.status).toBe(403);
    expect(r.json.errors[0]).toMatchObject({ status: 403, title: 'Forbidden', code: 'placement.undefined_code' });
    expect(r.json.errors[0].detail).toContain('placement:resource_providers:list');
  });

  it('lists one resource provider per hypervisor, with the hypervisor’s uuid and hostname, and filters by name', async () => {
    const r = await placement(admin, '/resource_providers', 'placement 1.14');
    expect(r.status).toBe(200);
    expect(r.headers.get('openstack-api-version')).toBe('placement 1.14');
    const hv = await call('nova', admin, '/v2.1/os-hypervisors', 'compute 2.53');
    const providers = r.json.resource_providers;
    expect(providers.map((p: any) => [p.uuid, p.name]).sort()).toEqual(hv.json.hypervisors.map((h: any) => [h.id, h.hypervisor_hostname]).sort());
    const p = providers[0];
    expect(Object.keys(p).sort()).toEqual(['generation', 'links', 'name', 'parent_provider_uuid', 'root_provider_uuid', 'uuid']);
    expect(p.root_provider_uuid).toBe(p.uuid);
    expect(p.links.map((l: any) => l.rel)).toEqual(['self', 'inventories', 'usages', 'aggregates', 'traits', 'allocations']);
    const one = await placement(admin, `/resource_providers?name=${encodeURIComponent(p.name)}`);
    expect(one.json.resource_providers.map((x: any) => x.uuid)).toEqual([p.uuid]);
    // Version 1.0 (no header): no nested-provider fields.
    expect(Object.keys(one.json.resource_providers[0]).sort()).toEqual(['generation', 'links', 'name', 'uuid']);
    expect((await placement(admin, '/resource_providers?nmae=x')).status).toBe(400);
  });

  it('reports VCPU, MEMORY_MB and DISK_GB inventories in the api-ref shape, with the provider generation', async () => {
    const host = demo.cloud.hosts[0];
    const r = await placement(admin, `/resource_providers/${host.hypervisorId}/inventories`, 'placement 1.39');
    expect(r.status).toBe(200);
    expect(Object.keys(r.json).sort()).toEqual(['inventories', 'resource_provider_generation']);
    expect(Object.keys(r.json.inventories).sort()).toEqual(['DISK_GB', 'MEMORY_MB', 'VCPU']);
    for (const inv of Object.values<any>(r.json.inventories)) {
      expect(Object.keys(inv).sort()).toEqual(['allocation_ratio', 'max_unit', 'min_unit', 'reserved', 'step_size', 'total']);
    }
    expect(r.json.inventories.VCPU).toMatchObject({ total: host.vcpus, reserved: 0, allocation_ratio: 4 });
    expect(r.json.inventories.MEMORY_MB).toMatchObject({ total: host.memoryMb, reserved: 512, allocation_ratio: 1 });
    expect(r.json.inventories.DISK_GB).toMatchObject({ total: host.diskGb, reserved: 0 });
    // Python's floats keep their spelling.
    expect(r.text).toContain('"allocation_ratio":4.0');
    expect(typeof r.json.resource_provider_generation).toBe('number');
  });

  it('reports usages equal to the servers on the host, the same `used` Nova’s os-hypervisors shows before 2.88', async () => {
    const hv = (await call('nova', admin, '/v2.1/os-hypervisors/detail', 'compute 2.87')).json.hypervisors;
    for (const host of demo.cloud.hosts) {
      const r = await placement(admin, `/resource_providers/${host.hypervisorId}/usages`, 'placement 1.39');
      expect(r.status).toBe(200);
      expect(r.json.usages).toEqual(expectedUsage(host.hostname));
      const nova = hv.find((h: any) => h.id === host.hypervisorId);
      expect([nova.vcpus_used, nova.memory_mb_used, nova.local_gb_used]).toEqual([
        r.json.usages.VCPU,
        r.json.usages.MEMORY_MB,
        r.json.usages.DISK_GB,
      ]);
    }
  });

  it('negotiates microversions: absent is 1.0, latest the maximum, beyond it 406, malformed 400', async () => {
    const uuid = demo.cloud.hosts[0].hypervisorId;
    expect((await placement(admin, `/resource_providers/${uuid}/usages`)).headers.get('openstack-api-version')).toBe('placement 1.0');
    expect((await placement(admin, `/resource_providers/${uuid}/usages`, 'placement latest')).headers.get('openstack-api-version')).toBe(
      'placement 1.39',
    );
    expect((await placement(admin, `/resource_providers/${uuid}/usages`, 'placement 1.40')).status).toBe(406);
    expect((await placement(admin, `/resource_providers/${uuid}/usages`, 'placement one')).status).toBe(400);
  });

  it('answers 404 for an unknown provider, in the errors list', async () => {
    const r = await placement(admin, '/resource_providers/00000000-0000-4000-a000-000000000000/inventories', 'placement 1.39');
    expect(r.status).toBe(404);
    expect(r.json.errors[0]).toMatchObject({ status: 404, title: 'Not Found' });
    expect(r.json.errors[0].detail).toContain('No resource provider with uuid 00000000-0000-4000-a000-000000000000 found');
  });

  it('records the requests it served, like the other emulators', async () => {
    demo.resetStats();
    await placement(admin, '/resource_providers');
    await placement(admin, `/resource_providers/${demo.cloud.hosts[1].hypervisorId}/usages`);
    const stats = await statsOf(demo, 'placement');
    expect(stats.byRoute).toEqual({ 'GET /resource_providers': 1, 'GET /resource_providers/:uuid/usages': 1 });
    expect(stats.requests).toEqual(['GET /resource_providers', `GET /resource_providers/${demo.cloud.hosts[1].hypervisorId}/usages`]);
  });

  it('is in the Keystone catalog as `placement` in every catalog style', async () => {
    for (const style of CATALOG_STYLES) {
      const cloud = await startTestCloud({ catalogStyle: style });
      try {
        const { body } = await issueToken(cloud, 'alice');
        const entry = body.token.catalog.find((c: any) => c.type === 'placement');
        expect(entry, style).toBeDefined();
        const url = entry.endpoints.find((e: any) => e.interface === 'public').url.replace(/\/+$/, '');
        expect(url).toBe(cloud.urls.placement);
      } finally {
        await cloud.close();
      }
    }
  });
});

describe('nova os-hypervisors across 2.88', () => {
  it('sums capacity in /os-hypervisors/statistics below 2.88, and from 2.88 drops it and the capacity fields', async () => {
    const before = await call('nova', admin, '/v2.1/os-hypervisors/statistics', 'compute 2.87');
    expect(before.status).toBe(200);
    const stats = before.json.hypervisor_statistics;
    expect(stats.count).toBe(demo.cloud.hosts.length);
    expect(stats.vcpus).toBe(demo.cloud.hosts.reduce((n, h) => n + h.vcpus, 0));
    const used = demo.cloud.hosts.map((h) => expectedUsage(h.hostname));
    expect(stats.vcpus_used).toBe(used.reduce((n, u) => n + u.VCPU, 0));
    expect(stats.memory_mb_used).toBe(used.reduce((n, u) => n + u.MEMORY_MB, 0));
    expect((await call('nova', alice, '/v2.1/os-hypervisors/statistics', 'compute 2.87')).status).toBe(403);
    expect((await call('nova', admin, '/v2.1/os-hypervisors/statistics', 'compute 2.88')).status).toBe(404);
    const detail = (await call('nova', admin, '/v2.1/os-hypervisors/detail', 'compute 2.88')).json.hypervisors;
    for (const h of detail) {
      for (const gone of [
        'vcpus',
        'vcpus_used',
        'memory_mb',
        'memory_mb_used',
        'local_gb',
        'local_gb_used',
        'free_ram_mb',
        'free_disk_gb',
        'current_workload',
        'running_vms',
        'disk_available_least',
        'cpu_info',
      ])
        expect(h).not.toHaveProperty(gone);
      expect(h.service.host).toBe(h.hypervisor_hostname);
    }
  });
});

describe('nova os-aggregates', () => {
  it('lists one aggregate per availability zone plus an ssd aggregate, to administrators only', async () => {
    expect((await call('nova', alice, '/v2.1/os-aggregates', 'compute 2.96')).status).toBe(403);
    const r = await call('nova', admin, '/v2.1/os-aggregates', 'compute 2.96');
    expect(r.status).toBe(200);
    const aggs = r.json.aggregates;
    for (const zone of demo.cloud.zones) {
      const agg = aggs.find((a: any) => a.availability_zone === zone.name);
      expect(agg.metadata).toEqual({ availability_zone: zone.name });
      expect(agg.hosts.sort()).toEqual(
        demo.cloud.hosts
          .filter((h) => h.zoneId === zone.id)
          .map((h) => h.hostname)
          .sort(),
      );
    }
    const ssd = aggs.find((a: any) => a.name === 'ssd');
    expect(ssd).toMatchObject({ availability_zone: null, metadata: { ssd: 'true' }, deleted: false });
    expect(ssd.hosts.length).toBeGreaterThan(0);
    expect(Object.keys(ssd).sort()).toEqual(
      ['availability_zone', 'created_at', 'deleted', 'deleted_at', 'hosts', 'id', 'metadata', 'name', 'updated_at', 'uuid'].sort(),
    );
    // uuid only from 2.41.
    expect((await call('nova', admin, '/v2.1/os-aggregates', 'compute 2.40')).json.aggregates[0]).not.toHaveProperty('uuid');
  });
});
