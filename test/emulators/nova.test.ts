// Contract tests of the Nova v2.1 emulator: server JSON field for field as the API reference samples in
// test/fixtures, microversions, admin vs member policy (all_tenants 403, admin-only filters silently ignored,
// admin-only attributes hidden), marker pagination, the asynchronous create/delete transitions, volume
// attachments written through to Cinder, hypervisors, availability zones, flavors and Nova's error shapes.
// Runs against real clouds on loopback with real Keystone tokens.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { issueToken, startTestCloud, type DemoCloud } from '../helpers/cloud.ts';
import { NO_FAULTS } from '../../subgraphs/emulator/emulator-server.ts';

const sample = (file: string) => JSON.parse(readFileSync(new URL(`../fixtures/openstack-samples/nova/${file}`, import.meta.url), 'utf8'));
const SERVER_SAMPLE = sample('servers-details-resp.v2.47.json').servers[0];
const CREATE_SAMPLE = sample('server-create-resp.json').server;
const HYPERVISOR_SAMPLE = sample('hypervisors-detail-resp.v2.53.json').hypervisors[0];
const ATTACHMENT_SAMPLE = sample('list-volume-attachments-resp.v2.89.json').volumeAttachments[0];
const FLAVOR_SAMPLE = sample('flavors-detail-resp.json').flavors[0];
const AZ_SAMPLE = sample('availability-zone-detail-resp.json').availabilityZoneInfo;
const ADMIN_ONLY = Object.keys(SERVER_SAMPLE)
  .filter((k) => k.startsWith('OS-EXT-SRV-ATTR:'))
  .concat('host_status');
const jsonType = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const keys = (o: object) => Object.keys(o).sort();

type Who = { token: string; project: string };
interface Reply {
  status: number;
  headers: Headers;
  json: any;
  text: string;
}

let demo: DemoCloud;
let admin: Who;
let alice: Who;
const login = async (cloud: DemoCloud, name: string): Promise<Who> => {
  const t = await issueToken(cloud, name);
  return { token: t.token, project: t.body.token.project.id };
};
beforeAll(async () => {
  demo = await startTestCloud();
  [admin, alice] = await Promise.all([login(demo, 'admin'), login(demo, 'alice')]);
});
afterAll(() => demo?.close());
afterEach(() => demo.setFaults('nova', NO_FAULTS));

async function nova(who: Who | null, path: string, init: RequestInit & { mv?: string; cloud?: DemoCloud } = {}): Promise<Reply> {
  const headers = new Headers(init.headers);
  if (who) headers.set('x-auth-token', who.token);
  if (init.mv) headers.set('openstack-api-version', `compute ${init.mv}`);
  if (init.body) headers.set('content-type', 'application/json');
  const res = await fetch(`${(init.cloud ?? demo).urls.nova}${path.startsWith('/v2.1') || path === '/' ? '' : '/v2.1'}${path}`, { ...init, headers });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: text ? JSON.parse(text) : undefined };
}

/** Follows servers_links to the end, rebuilding each next URL from its marker, as clients should. */
async function walk(who: Who, query: string, mv = '2.47') {
  const all: any[] = [];
  let pages = 0;
  let marker: string | undefined;
  for (;;) {
    const r = await nova(who, `/servers/detail?${query}${marker ? `&marker=${marker}` : ''}`, { mv });
    expect(r.status).toBe(200);
    all.push(...r.json.servers);
    pages++;
    const next = r.json.servers_links?.find((l: any) => l.rel === 'next');
    if (!next) return { all, pages };
    marker = new URL(next.href).searchParams.get('marker')!;
  }
}

describe('server shapes', () => {
  it('serves admins exactly the keys of the 2.47 detail sample, with the sample value types', async () => {
    const r = await nova(admin, '/servers/detail?all_tenants=1&status=ACTIVE&limit=5', { mv: '2.47' });
    expect(r.status).toBe(200);
    expect(r.json.servers).toHaveLength(5);
    for (const s of r.json.servers) {
      expect(keys(s)).toEqual(keys(SERVER_SAMPLE));
      for (const [k, v] of Object.entries(SERVER_SAMPLE)) {
        // Nullable fields aside, and `image` is "" for a server booted from a volume.
        if (v !== null && s[k] !== null && !(k === 'image' && s[k] === '')) expect(jsonType(s[k]), k).toBe(jsonType(v));
      }
      expect(keys(s.flavor)).toEqual(keys(SERVER_SAMPLE.flavor));
      for (const list of Object.values(s.addresses) as any[][])
        for (const a of list) expect(keys(a)).toEqual(keys(SERVER_SAMPLE.addresses.private[0]));
      for (const v of s['os-extended-volumes:volumes_attached']) expect(keys(v)).toEqual(['delete_on_termination', 'id']);
      expect(s.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(s['OS-SRV-USG:launched_at']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
      const own = demo.cloud.servers.find((x) => x.id === s.id)!;
      expect(s.hostId).toBe(
        createHash('sha224')
          .update(own.projectId + own.host)
          .digest('hex'),
      );
      expect(s['OS-EXT-SRV-ATTR:host']).toBe(own.host);
      expect(s.tenant_id).toBe(own.projectId);
      expect(s.links[0]).toEqual({ href: `${demo.urls.nova}/v2.1/servers/${s.id}`, rel: 'self' });
    }
  });

  it('builds addresses from Neutron ports and floating IPs, volumes_attached from Cinder attachments', async () => {
    const fip = demo.cloud.floatingIps.find((f) => f.portId)!;
    const port = demo.cloud.ports.find((p) => p.id === fip.portId)!;
    const r = await nova(admin, `/servers/${port.deviceId}`, { mv: '2.47' });
    const net = demo.cloud.networks.find((n) => n.id === port.networkId)!;
    expect(r.json.server.addresses[net.name]).toContainEqual({
      'OS-EXT-IPS-MAC:mac_addr': port.macAddress,
      'OS-EXT-IPS:type': 'floating',
      addr: fip.address,
      version: 4,
    });
    expect(r.json.server.addresses[net.name]).toContainEqual({
      'OS-EXT-IPS-MAC:mac_addr': port.macAddress,
      'OS-EXT-IPS:type': 'fixed',
      addr: port.fixedIps[0].ipAddress,
      version: 4,
    });
    const attached = demo.cloud.volumes
      .filter((v) => v.attachments.some((a) => a.serverId === port.deviceId))
      .map((v) => v.id)
      .sort();
    expect(r.json.server['os-extended-volumes:volumes_attached'].map((v: any) => v.id).sort()).toEqual(attached);
  });

  it('reflects a floating IP that another service associates in the shared cloud on the next request', async () => {
    const port = demo.cloud.ports.find((p) => !demo.cloud.floatingIps.some((f) => f.portId === p.id))!;
    const before = await nova(admin, `/servers/${port.deviceId}`);
    const fip = demo.cloud.floatingIps.find((f) => f.portId === null) ?? { ...demo.cloud.floatingIps[0], id: 'fip-test', address: '172.24.9.9' };
    const pushed = !demo.cloud.floatingIps.includes(fip);
    if (pushed) demo.cloud.floatingIps.push(fip);
    // What Neutron's PUT /v2.0/floatingips/{id} does: an in-place association.
    fip.portId = port.id;
    fip.fixedIpAddress = port.fixedIps[0].ipAddress;
    try {
      const after = await nova(admin, `/servers/${port.deviceId}`);
      const floating = (r: Reply) =>
        (Object.values(r.json.server.addresses).flat() as any[]).filter((a) => a['OS-EXT-IPS:type'] === 'floating').map((a) => a.addr);
      expect(floating(before)).not.toContain(fip.address);
      expect(floating(after)).toContain(fip.address);
    } finally {
      fip.portId = null;
      fip.fixedIpAddress = null;
      if (pushed) demo.cloud.floatingIps.splice(demo.cloud.floatingIps.indexOf(fip), 1);
    }
  });

  it('shows image "" for a server booted from a volume', async () => {
    const bfv = demo.cloud.servers.find((s) => s.imageId === '')!;
    const r = await nova(admin, `/servers/${bfv.id}`);
    expect(r.json.server.image).toBe('');
  });

  it('hides admin-only attributes from members but keeps the availability zone', async () => {
    const r = await nova(alice, '/servers/detail', { mv: '2.47' });
    expect(r.status).toBe(200);
    expect(r.json.servers.length).toBeGreaterThan(0);
    for (const s of r.json.servers) {
      for (const k of ADMIN_ONLY) expect(s).not.toHaveProperty([k]);
      expect(s['OS-EXT-AZ:availability_zone']).toMatch(/^zone-/);
      expect(s.tenant_id).toBe(alice.project);
    }
  });

  it('lists id, name and links only on GET /servers', async () => {
    const r = await nova(alice, '/servers');
    for (const s of r.json.servers) expect(keys(s)).toEqual(['id', 'links', 'name']);
  });
});

describe('microversions', () => {
  it('gives a flavor {id, links} before 2.47 and the embedded flavor without id from 2.47', async () => {
    const old = await nova(admin, '/servers/detail?limit=1');
    expect(old.headers.get('openstack-api-version')).toBe('compute 2.1');
    expect(keys(old.json.servers[0].flavor)).toEqual(['id', 'links']);
    const v47 = await nova(admin, '/servers/detail?limit=1', { mv: '2.47' });
    expect(v47.json.servers[0].flavor).not.toHaveProperty('id');
    expect(v47.json.servers[0].flavor.original_name).toMatch(/^\w+\.\w+$/);
  });

  it('echoes the negotiated version, honours the legacy header and resolves latest to 2.96', async () => {
    const latest = await nova(admin, '/servers?limit=1', { mv: 'latest' });
    expect(latest.headers.get('openstack-api-version')).toBe('compute 2.96');
    expect(latest.headers.get('vary')).toContain('OpenStack-API-Version');
    const legacy = await nova(admin, '/servers?limit=1', { headers: { 'x-openstack-nova-api-version': '2.53' } });
    expect(legacy.headers.get('openstack-api-version')).toBe('compute 2.53');
    expect(legacy.headers.get('x-openstack-nova-api-version')).toBe('2.53');
  });

  it('answers 406 computeFault above the maximum and 400 badRequest for a malformed version', async () => {
    const high = await nova(admin, '/servers', { mv: '2.97' });
    expect(high.status).toBe(406);
    expect(high.json).toEqual({
      computeFault: { code: 406, message: 'Version 2.97 is not supported by the API. Minimum is 2.1 and maximum is 2.96.' },
    });
    const bad = await nova(admin, '/servers', { mv: '2.x' });
    expect(bad.status).toBe(400);
    expect(bad.json.badRequest.message).toContain('is of invalid format');
  });
});

describe('listing policy and filters', () => {
  it('follows pagination to the end and gets exactly the full set, newest first', async () => {
    const full = await nova(admin, '/servers/detail?all_tenants=1', { mv: '2.47' });
    expect(full.json.servers).toHaveLength(demo.cloud.servers.length);
    expect(full.json).not.toHaveProperty('servers_links');
    const { all, pages } = await walk(admin, 'all_tenants=1&limit=5');
    expect(pages).toBe(Math.floor(demo.cloud.servers.length / 5) + 1);
    expect(all.map((s) => s.id)).toEqual(full.json.servers.map((s: any) => s.id));
    const created = all.map((s) => demo.cloud.servers.find((x) => x.id === s.id)!.createdAt.getTime());
    expect(created).toEqual([...created].sort((a, b) => b - a));
  });

  it('puts servers_links only on a full page, with the marker of its last server', async () => {
    const r = await nova(admin, '/servers/detail?all_tenants=1&limit=3');
    const href = new URL(r.json.servers_links[0].href);
    expect(r.json.servers_links[0].rel).toBe('next');
    expect(href.pathname).toBe('/v2.1/servers/detail');
    expect(href.searchParams.get('marker')).toBe(r.json.servers[2].id);
  });

  it('rejects an unknown marker with badRequest', async () => {
    const r = await nova(admin, '/servers/detail?marker=nope');
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ badRequest: { code: 400, message: 'marker [nope] not found' } });
  });

  it('ORs repeated status filters', async () => {
    const ids = async (q: string) => (await nova(admin, `/servers/detail?all_tenants=1&${q}`)).json.servers.map((s: any) => s.id).sort();
    const both = await ids('status=SHUTOFF&status=error');
    const expected = demo.cloud.servers
      .filter((s) => s.status === 'SHUTOFF' || s.status === 'ERROR')
      .map((s) => s.id)
      .sort();
    expect(both).toEqual(expected);
    expect(both.length).toBeGreaterThan(0);
    expect(both).toEqual([...(await ids('status=SHUTOFF')), ...(await ids('status=ERROR'))].sort());
    expect((await nova(admin, '/servers/detail?status=BOGUS')).json).toEqual({ servers: [] });
    expect((await nova(admin, '/servers/detail?status=BOGUS', { mv: '2.38' })).json).toEqual({
      badRequest: { code: 400, message: 'Invalid status value' },
    });
  });

  it('forbids all_tenants to members with the policy message', async () => {
    const r = await nova(alice, '/servers/detail?all_tenants=1');
    expect(r.status).toBe(403);
    expect(r.json).toEqual({
      forbidden: { code: 403, message: "Policy doesn't allow os_compute_api:servers:detail:get_all_tenants to be performed." },
    });
  });

  it('shows an admin without all_tenants only its own project', async () => {
    const r = await nova(admin, '/servers/detail');
    const own = demo.cloud.servers.filter((s) => s.projectId === admin.project);
    expect(r.json.servers.map((s: any) => s.id).sort()).toEqual(own.map((s) => s.id).sort());
  });

  it('silently ignores host, project_id and uuid for members but applies them for admins', async () => {
    const host = demo.cloud.servers.find((s) => s.projectId === alice.project)!.host;
    const mine = (await nova(alice, '/servers/detail')).json.servers.map((s: any) => s.id).sort();
    const filtered = await nova(alice, `/servers/detail?host=${host}&uuid=x&project_id=${admin.project}`);
    expect(filtered.status).toBe(200);
    expect(filtered.json.servers.map((s: any) => s.id).sort()).toEqual(mine);
    const adminView = await nova(admin, `/servers/detail?all_tenants=1&host=${host}`);
    expect(adminView.json.servers.map((s: any) => s.id).sort()).toEqual(
      demo.cloud.servers
        .filter((s) => s.host === host)
        .map((s) => s.id)
        .sort(),
    );
  });

  it('filters by availability zone, name regex and changes-since', async () => {
    const zone = await nova(admin, '/servers/detail?all_tenants=1&availability_zone=zone-b');
    expect(zone.json.servers.length).toBe(demo.cloud.servers.filter((s) => s.zone === 'zone-b').length);
    const named = await nova(admin, '/servers/detail?all_tenants=1&name=^WEB-vm');
    expect(named.json.servers.map((s: any) => s.name).every((n: string) => n.startsWith('web-vm'))).toBe(true);
    expect(named.json.servers.length).toBe(demo.cloud.servers.filter((s) => s.name.startsWith('web-vm')).length);
    const pivot = [...demo.cloud.servers].sort((a, b) => a.updatedAt.getTime() - b.updatedAt.getTime())[10];
    const since = await nova(admin, `/servers/detail?all_tenants=1&changes-since=${pivot.updatedAt.toISOString()}`);
    expect(since.json.servers.length).toBe(demo.cloud.servers.filter((s) => s.updatedAt >= pivot.updatedAt).length);
  });
});

describe('errors', () => {
  it("answers another project's server with itemNotFound", async () => {
    const other = demo.cloud.servers.find((s) => s.projectId !== alice.project)!;
    const r = await nova(alice, `/servers/${other.id}`);
    expect(r.status).toBe(404);
    expect(r.json).toEqual({ itemNotFound: { code: 404, message: `Instance ${other.id} could not be found.` } });
  });

  it('answers 401 in the Keystone shape without a token, itemNotFound for unknown routes, computeFault for a 500', async () => {
    const anon = await nova(null, '/servers');
    expect(anon.status).toBe(401);
    expect(anon.json.error).toMatchObject({ code: 401, title: 'Unauthorized' });
    const unknown = await nova(admin, '/os-nothing');
    expect(unknown.status).toBe(404);
    expect(unknown.json.itemNotFound.code).toBe(404);
    demo.setFaults('nova', { errorRate: 1 });
    const boom = await nova(admin, '/servers');
    expect(boom.status).toBe(500);
    expect(boom.json).toEqual({ computeFault: { code: 500, message: 'Injected internal error' } });
  });
});

describe('hypervisors, availability zones and flavors', () => {
  it('lists hypervisors to admins only, shaped as the 2.53 sample, with usage from the servers on the host', async () => {
    expect((await nova(alice, '/os-hypervisors/detail', { mv: '2.53' })).status).toBe(403);
    const r = await nova(admin, '/os-hypervisors/detail', { mv: '2.53' });
    expect(r.json.hypervisors).toHaveLength(demo.cloud.hosts.length);
    for (const h of r.json.hypervisors) {
      expect(keys(h)).toEqual(keys(HYPERVISOR_SAMPLE));
      expect(keys(h.service)).toEqual(keys(HYPERVISOR_SAMPLE.service));
      const host = demo.cloud.hosts.find((x) => x.hostname === h.hypervisor_hostname)!;
      expect(h.id).toBe(host.hypervisorId);
      const on = demo.cloud.servers.filter((s) => s.host === host.hostname);
      expect(h.running_vms).toBe(on.length);
      expect(h.vcpus_used).toBe(on.reduce((n, s) => n + demo.cloud.flavors.find((f) => f.id === s.flavorId)!.vcpus, 0));
      expect(h.state).toBe(host.status === 0 ? 'down' : 'up');
      expect(h.status).toBe(host.status === 2 ? 'disabled' : 'enabled');
    }
    const page = await nova(admin, '/os-hypervisors/detail?limit=2', { mv: '2.53' });
    expect(new URL(page.json.hypervisors_links[0].href).searchParams.get('marker')).toBe(page.json.hypervisors[1].id);
    const v88 = await nova(admin, '/os-hypervisors/detail?limit=1', { mv: '2.88' });
    expect(v88.json.hypervisors[0]).not.toHaveProperty('vcpus_used');
    expect(v88.json.hypervisors[0]).toHaveProperty('uptime');
  });

  it('lists zones to everyone without hosts, and in detail to admins with services and the internal zone', async () => {
    const brief = await nova(alice, '/os-availability-zone');
    expect(brief.json.availabilityZoneInfo.map((z: any) => z.zoneName)).toEqual(['zone-a', 'zone-b']);
    for (const z of brief.json.availabilityZoneInfo) expect(z).toEqual({ zoneName: z.zoneName, zoneState: { available: true }, hosts: null });
    expect((await nova(alice, '/os-availability-zone/detail')).status).toBe(403);
    const detail = await nova(admin, '/os-availability-zone/detail');
    const names = detail.json.availabilityZoneInfo.map((z: any) => z.zoneName);
    expect(names).toEqual(['internal', 'zone-a', 'zone-b']);
    const zoneA = detail.json.availabilityZoneInfo[1];
    expect(keys(zoneA)).toEqual(keys(AZ_SAMPLE[1]));
    const [hostName, services] = Object.entries(zoneA.hosts)[0] as [string, any];
    expect(hostName).toMatch(/^zone-a-cn/);
    expect(keys(services['nova-compute'])).toEqual(keys(AZ_SAMPLE[1].hosts.compute['nova-compute']));
  });

  it('describes flavors as the flavors sample, with swap "" and rxtx_factor 1.0', async () => {
    const r = await nova(alice, '/flavors/detail');
    expect(r.json.flavors).toHaveLength(demo.cloud.flavors.length);
    for (const f of r.json.flavors) expect(keys(f)).toEqual(keys(FLAVOR_SAMPLE));
    expect(r.json.flavors[0]).toMatchObject({ id: '1', name: 'm1.tiny', swap: '', 'OS-FLV-EXT-DATA:ephemeral': 0 });
    expect(r.text).toContain('"rxtx_factor":1.0');
    expect((await nova(alice, '/flavors/99')).json).toEqual({ itemNotFound: { code: 404, message: 'Flavor 99 could not be found.' } });
  });
});

describe('asynchronous writes', () => {
  let cloud: DemoCloud;
  let root: Who;
  let carol: Who;
  beforeAll(async () => {
    cloud = await startTestCloud({ asyncDelayMs: 150 });
    [root, carol] = await Promise.all([login(cloud, 'admin'), login(cloud, 'carol')]);
  });
  afterAll(() => cloud?.close());
  const call = (who: Who, path: string, init: RequestInit & { mv?: string } = {}) => nova(who, path, { ...init, cloud });
  const imageFor = (project: string) => cloud.cloud.images.find((i) => i.visibility === 'public' && !i.hidden && i.owner !== project)!.id;

  it('accepts a create with 202 and a minimal body, lists the server at once as BUILD, then ACTIVE', async () => {
    const body = { server: { name: 'carol-new', imageRef: imageFor(carol.project), flavorRef: '2', availability_zone: 'zone-b', networks: 'auto' } };
    const r = await call(carol, '/servers', { method: 'POST', body: JSON.stringify(body), mv: '2.47' });
    expect(r.status).toBe(202);
    expect(keys(r.json.server)).toEqual(keys(CREATE_SAMPLE));
    expect(r.headers.get('location')).toBe(`${cloud.urls.nova}/v2.1/servers/${r.json.server.id}`);
    const id = r.json.server.id;
    const first = (await call(carol, '/servers/detail?limit=1', { mv: '2.47' })).json.servers[0];
    expect(first).toMatchObject({ id, status: 'BUILD', 'OS-EXT-STS:task_state': 'spawning', 'OS-EXT-AZ:availability_zone': 'zone-b' });
    const server = cloud.cloud.servers.find((s) => s.id === id)!;
    const host = cloud.cloud.hosts.find((h) => h.hostname === server.host)!;
    expect(host.status).toBe(1);
    const port = cloud.cloud.ports.find((p) => p.deviceId === id)!;
    expect(cloud.cloud.networks.find((n) => n.id === port.networkId)!.projectId).toBe(carol.project);
    expect(Object.values(first.addresses).flat()).toHaveLength(1);
    await sleep(300);
    const later = (await call(carol, `/servers/${id}`, { mv: '2.47' })).json.server;
    expect(later).toMatchObject({ status: 'ACTIVE', 'OS-EXT-STS:task_state': null, 'OS-EXT-STS:vm_state': 'active' });
    expect(later['OS-SRV-USG:launched_at']).not.toBeNull();
  });

  it('rejects a bad create body, an unknown flavor or image, and a missing networks from 2.37', async () => {
    const post = (server: unknown, mv = '2.1') => call(carol, '/servers', { method: 'POST', body: JSON.stringify({ server }), mv });
    expect((await post({ flavorRef: '1' })).json.badRequest.code).toBe(400);
    expect((await post({ name: 'x', flavorRef: '99', imageRef: '' })).json).toEqual({
      badRequest: { code: 400, message: 'Invalid flavorRef provided.' },
    });
    expect((await post({ name: 'x', flavorRef: '1', imageRef: 'nope' })).json).toEqual({
      badRequest: { code: 400, message: 'Can not find requested image' },
    });
    const noNets = await post({ name: 'x', flavorRef: '1', imageRef: '' }, '2.47');
    expect(noNets.status).toBe(400);
    expect(noNets.json.badRequest.message).toContain("'networks' is a required property");
  });

  it('deletes with 204: task_state deleting at once, then gone with its volumes detached and its ports removed', async () => {
    const victim = cloud.cloud.servers.find((s) => s.projectId === carol.project && s.status === 'ACTIVE')!;
    const volumes = cloud.cloud.volumes.filter((v) => v.attachments.some((a) => a.serverId === victim.id));
    expect(volumes.length).toBeGreaterThan(0);
    const other = cloud.cloud.servers.find((s) => s.projectId !== carol.project)!;
    expect((await call(carol, `/servers/${other.id}`, { method: 'DELETE' })).status).toBe(404);
    expect((await call(carol, `/servers/${victim.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await call(carol, `/servers/${victim.id}`)).json.server['OS-EXT-STS:task_state']).toBe('deleting');
    await sleep(300);
    expect((await call(carol, `/servers/${victim.id}`)).status).toBe(404);
    expect((await call(carol, '/servers/detail')).json.servers.map((s: any) => s.id)).not.toContain(victim.id);
    for (const v of volumes) expect(v).toMatchObject({ status: 'available', attachments: [] });
    expect(cloud.cloud.ports.some((p) => p.deviceId === victim.id)).toBe(false);
    // A marker naming the deleted server still pages, as Nova reads deleted rows for markers.
    expect((await call(root, `/servers/detail?all_tenants=1&marker=${victim.id}`)).status).toBe(200);
  });

  it('attaches a volume through Nova so Cinder sees it, and detaches it again', async () => {
    const server = cloud.cloud.servers.find((s) => s.projectId === carol.project && s.status === 'ACTIVE')!;
    const spare = cloud.cloud.volumes.find((v) => v.projectId === carol.project && v.status === 'available')!;
    const list = await call(carol, `/servers/${server.id}/os-volume_attachments`, { mv: '2.89' });
    for (const a of list.json.volumeAttachments) expect(keys(a)).toEqual(keys(ATTACHMENT_SAMPLE));
    const old = await call(carol, `/servers/${server.id}/os-volume_attachments`);
    for (const a of old.json.volumeAttachments) expect(keys(a)).toEqual(['device', 'id', 'serverId', 'volumeId']);

    const r = await call(carol, `/servers/${server.id}/os-volume_attachments`, {
      method: 'POST',
      body: JSON.stringify({ volumeAttachment: { volumeId: spare.id } }),
    });
    expect(r.status).toBe(200);
    expect(r.json.volumeAttachment).toMatchObject({ id: spare.id, serverId: server.id, volumeId: spare.id });
    expect(spare.status).toBe('in-use');
    expect(spare.attachments).toMatchObject([{ serverId: server.id, device: r.json.volumeAttachment.device, hostName: server.host }]);
    const viaCinder = await fetch(`${cloud.urls.cinder}/v3/${carol.project}/volumes/${spare.id}`, { headers: { 'x-auth-token': carol.token } });
    const vol: any = await viaCinder.json();
    expect(vol.volume.status).toBe('in-use');
    expect(vol.volume.attachments.map((a: any) => a.server_id)).toEqual([server.id]);
    const shown = await call(carol, `/servers/${server.id}`);
    expect(shown.json.server['os-extended-volumes:volumes_attached'].map((v: any) => v.id)).toContain(spare.id);

    const again = await call(carol, `/servers/${server.id}/os-volume_attachments`, {
      method: 'POST',
      body: JSON.stringify({ volumeAttachment: { volumeId: spare.id } }),
    });
    expect(again.status).toBe(400);
    expect(again.json.badRequest.message).toMatch(/^Invalid volume: /);

    expect((await call(carol, `/servers/${server.id}/os-volume_attachments/${spare.id}`, { method: 'DELETE' })).status).toBe(202);
    expect(spare).toMatchObject({ status: 'available', attachments: [] });
  });

  it('resizes through RESIZE (resize_prep … resize_finish) to VERIFY_RESIZE; confirmResize keeps the flavor, revertResize restores it', async () => {
    const server = cloud.cloud.servers.find((s) => s.projectId === carol.project && s.status === 'ACTIVE')!;
    const from = server.flavorId;
    const to = cloud.cloud.flavors.find((f) => f.id !== from)!;
    const act = (body: unknown) => call(carol, `/servers/${server.id}/action`, { method: 'POST', body: JSON.stringify(body), mv: '2.47' });
    const show = async () => (await call(carol, `/servers/${server.id}`, { mv: '2.47' })).json.server;

    expect((await act({ resize: {} })).status).toBe(400);
    expect((await act({ resize: { flavorRef: 'nope' } })).json).toEqual({ badRequest: { code: 400, message: 'Invalid flavorRef provided.' } });
    expect((await act({ resize: { flavorRef: from } })).json.badRequest.message).toBe('When resizing, instances must change flavor!');
    expect((await act({ confirmResize: null })).json).toEqual({
      conflictingRequest: { code: 409, message: `Cannot 'confirmResize' instance ${server.id} while it is in vm_state active` },
    });

    expect((await act({ resize: { flavorRef: to.id } })).status).toBe(202);
    const tasks = new Set<string>();
    let shown = await show();
    for (let i = 0; i < 50 && shown.status === 'RESIZE'; i++) {
      tasks.add(shown['OS-EXT-STS:task_state']);
      await sleep(10);
      shown = await show();
    }
    expect([...tasks].every((t) => ['resize_prep', 'resize_migrating', 'resize_migrated', 'resize_finish'].includes(t))).toBe(true);
    expect(tasks.has('resize_prep')).toBe(true);
    expect(shown).toMatchObject({
      status: 'VERIFY_RESIZE',
      'OS-EXT-STS:vm_state': 'resized',
      'OS-EXT-STS:task_state': null,
      flavor: { original_name: to.name },
    });
    // In the wrong state: another resize or an os-stop is a conflict.
    expect((await act({ 'os-stop': null })).status).toBe(409);

    expect((await act({ revertResize: null })).status).toBe(202);
    expect(await show()).toMatchObject({ status: 'REVERT_RESIZE', 'OS-EXT-STS:task_state': 'resize_reverting' });
    await sleep(250);
    expect(await show()).toMatchObject({
      status: 'ACTIVE',
      'OS-EXT-STS:task_state': null,
      flavor: { original_name: cloud.cloud.flavors.find((f) => f.id === from)!.name },
    });

    expect((await act({ resize: { flavorRef: to.id } })).status).toBe(202);
    await sleep(250);
    expect((await act({ confirmResize: null })).status).toBe(204);
    // While the confirm runs the migration is no longer 'finished': Nova answers 400.
    expect((await act({ confirmResize: null })).json).toEqual({ badRequest: { code: 400, message: 'Instance has not been resized.' } });
    await sleep(250);
    expect(await show()).toMatchObject({ status: 'ACTIVE', flavor: { original_name: to.name } });
    expect(server.flavorId).toBe(to.id);
  });
});
