// Contract tests of the Cinder v3 emulator: the volume JSON the gateway's Cinder datasource reads (field for
// field as the API reference samples in test/fixtures), microversions, tenancy and policy, filters, marker
// pagination with the 1000-item page cap, create/delete with their asynchronous transitions, and Cinder's
// error shapes. Runs against real clouds on loopback with real Keystone tokens.
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { issueToken, startTestCloud, type DemoCloud } from '../helpers/cloud.ts';
import { NO_FAULTS } from '../../subgraphs/emulator/emulator-server.ts';

const sample = (file: string) => JSON.parse(readFileSync(new URL(`../fixtures/openstack-samples/cinder/${file}`, import.meta.url), 'utf8'));
const LIST_SAMPLE = sample('volumes-list-detailed-response.v3.69.json').volumes[0];
const CREATE_SAMPLE = sample('volume-create-response.v3.69.json').volume;
const CINDER_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/;
const ADMIN_ONLY = [
  'migration_status',
  'os-vol-host-attr:host',
  'os-vol-mig-status-attr:migstat',
  'os-vol-mig-status-attr:name_id',
  'provider_id',
  'cluster_name',
];

let demo: DemoCloud;
let admin: { token: string; project: string };
let alice: { token: string; project: string };
let bob: { token: string; project: string };
const login = async (name: string) => {
  const t = await issueToken(demo, name);
  return { token: t.token, project: t.body.token.project.id as string };
};
beforeAll(async () => {
  demo = await startTestCloud();
  [admin, alice, bob] = await Promise.all([login('admin'), login('alice'), login('bob')]);
});
afterAll(() => demo?.close());
afterEach(() => demo.setFaults('cinder', NO_FAULTS));

interface Reply {
  status: number;
  headers: Headers;
  json: any;
}
async function cinder(
  who: { token: string; project: string },
  path: string,
  init: RequestInit & { mv?: string; project?: string } = {},
): Promise<Reply> {
  const headers = new Headers(init.headers);
  headers.set('x-auth-token', who.token);
  if (init.mv) headers.set('openstack-api-version', `volume ${init.mv}`);
  if (init.body) headers.set('content-type', 'application/json');
  const res = await fetch(`${demo.urls.cinder}/v3/${init.project ?? who.project}${path}`, { ...init, headers });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
}
const jsonType = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Follows volumes_links to the end, returning every volume and the number of pages. */
async function walk(who: { token: string; project: string }, first: string, mv = '3.69') {
  const all: any[] = [];
  let pages = 0;
  let url: string | undefined = `${demo.urls.cinder}/v3/${who.project}${first}`;
  while (url) {
    const res = await fetch(url, { headers: { 'x-auth-token': who.token, 'openstack-api-version': `volume ${mv}` } });
    expect(res.status).toBe(200);
    const body: any = await res.json();
    all.push(...body.volumes);
    pages++;
    url = body.volumes_links?.find((l: any) => l.rel === 'next')?.href;
  }
  return { all, pages };
}

describe('volume shapes', () => {
  it('serves admins exactly the fields of the 3.69 detail sample, with the sample value types', async () => {
    const r = await cinder(admin, '/volumes/detail?all_tenants=1&limit=5', { mv: '3.69' });
    expect(r.status).toBe(200);
    expect(r.headers.get('openstack-api-version')).toBe('volume 3.69');
    expect(r.json.volumes).toHaveLength(5);
    for (const v of r.json.volumes) {
      expect(Object.keys(v).sort()).toEqual(Object.keys(LIST_SAMPLE).sort());
      for (const [k, sv] of Object.entries(LIST_SAMPLE)) if (sv !== null) expect(jsonType(v[k]), k).toBe(jsonType(sv));
      expect(['true', 'false']).toContain(v.bootable);
      expect(v.created_at).toMatch(CINDER_TIME);
      expect(v.links).toEqual([
        { href: `${demo.urls.cinder}/v3/${admin.project}/volumes/${v.id}`, rel: 'self' },
        { href: `${demo.urls.cinder}/${admin.project}/volumes/${v.id}`, rel: 'bookmark' },
      ]);
    }
  });

  it('describes attachments with server, host, device and time, as Nova wrote them', async () => {
    const vol = demo.cloud.volumes.find((v) => v.attachments.length && v.projectId === alice.project)!;
    const r = await cinder(admin, `/volumes/${vol.id}`, { mv: '3.69' });
    expect(r.status).toBe(200);
    const a = vol.attachments[0];
    expect(r.json.volume.attachments).toEqual([
      {
        id: vol.id,
        attachment_id: a.id,
        volume_id: vol.id,
        server_id: a.serverId,
        host_name: a.hostName,
        device: a.device,
        attached_at: a.attachedAt.toISOString().replace('Z', '000'),
      },
    ]);
    expect(r.json.volume['os-vol-tenant-attr:tenant_id']).toBe(alice.project);
    expect(r.json.volume.status).toBe('in-use');
  });

  it('hides admin-only attributes and attachment host names from members, but shows them their tenant id', async () => {
    const r = await cinder(alice, '/volumes/detail', { mv: '3.69' });
    expect(r.status).toBe(200);
    expect(r.json.volumes.length).toBeGreaterThan(0);
    for (const v of r.json.volumes) {
      for (const k of ADMIN_ONLY) expect(v).not.toHaveProperty([k]);
      expect(v['os-vol-tenant-attr:tenant_id']).toBe(alice.project);
      for (const a of v.attachments) expect(a.host_name).toBeNull();
    }
  });

  it('answers the summary listing with id, name and links only', async () => {
    const r = await cinder(alice, '/volumes');
    expect(r.status).toBe(200);
    for (const v of r.json.volumes) expect(Object.keys(v).sort()).toEqual(['id', 'links', 'name']);
  });

  it('adds fields by microversion and defaults to 3.0', async () => {
    const r30 = await cinder(admin, '/volumes/detail?limit=1&all_tenants=1');
    expect(r30.headers.get('openstack-api-version')).toBe('volume 3.0');
    const v30 = r30.json.volumes[0];
    for (const k of ['group_id', 'provider_id', 'service_uuid', 'shared_targets', 'cluster_name', 'volume_type_id', 'consumes_quota']) {
      expect(v30).not.toHaveProperty([k]);
    }
    const v48 = (await cinder(admin, '/volumes/detail?limit=1&all_tenants=1', { mv: '3.48' })).json.volumes[0];
    expect(v48).toHaveProperty('shared_targets');
    expect(v48).not.toHaveProperty('volume_type_id');
    const latest = await cinder(admin, '/volumes/detail?limit=1&all_tenants=1', { mv: 'latest' });
    expect(latest.headers.get('openstack-api-version')).toBe('volume 3.70');
    expect(latest.json.volumes[0].consumes_quota).toBe(true);
  });

  it('rejects a malformed microversion with 400 and an unsupported one with 406', async () => {
    expect(await cinder(alice, '/volumes', { mv: 'three' })).toMatchObject({
      status: 400,
      json: { badRequest: { code: 400, message: expect.stringContaining('invalid format') } },
    });
    expect(await cinder(alice, '/volumes', { mv: '3.99' })).toMatchObject({
      status: 406,
      json: { computeFault: { code: 406, message: 'Version 3.99 is not supported by the API. Minimum is 3.0 and maximum is 3.70.' } },
    });
  });

  it('serves a fresh body after a writer bumps the volume revision', async () => {
    const vol = demo.cloud.volumes.find((v) => v.projectId === alice.project && v.status === 'available')!;
    expect((await cinder(alice, `/volumes/${vol.id}`)).json.volume.attachments).toEqual([]);
    const server = demo.cloud.servers.find((s) => s.projectId === alice.project)!;
    vol.attachments.push({ id: 'att-1', serverId: server.id, device: '/dev/vdz', hostName: server.host, attachedAt: new Date() });
    vol.status = 'in-use';
    vol.rev++;
    try {
      const body = (await cinder(alice, `/volumes/${vol.id}`)).json.volume;
      expect(body.status).toBe('in-use');
      expect(body.attachments).toMatchObject([{ server_id: server.id, attachment_id: 'att-1', device: '/dev/vdz', host_name: null }]);
    } finally {
      vol.attachments.pop();
      vol.status = 'available';
      vol.rev++;
    }
  });
});

describe('tenancy and filters', () => {
  it("lists only the caller's project and ignores all_tenants from members", async () => {
    const own = demo.cloud.volumes
      .filter((v) => v.projectId === alice.project)
      .map((v) => v.id)
      .sort();
    for (const query of ['', '?all_tenants=1', '?all_tenants=true']) {
      const r = await cinder(alice, `/volumes/detail${query}`, { mv: '3.69' });
      expect(r.status).toBe(200);
      expect(r.json.volumes.map((v: any) => v.id).sort()).toEqual(own);
    }
  });

  it("never shows alice a volume of bob's, by listing or by id", async () => {
    const bobs = demo.cloud.volumes.find((v) => v.projectId === bob.project)!;
    const r = await cinder(alice, `/volumes/${bobs.id}`);
    expect(r).toMatchObject({ status: 404, json: { itemNotFound: { code: 404, message: `Volume ${bobs.id} could not be found.` } } });
    const listed = await cinder(alice, '/volumes/detail?all_tenants=1', { mv: '3.69' });
    expect(listed.json.volumes.some((v: any) => v.id === bobs.id)).toBe(false);
  });

  it('rejects project_id from members from 3.31 and silently drops it before', async () => {
    const r = await cinder(alice, `/volumes/detail?project_id=${bob.project}`, { mv: '3.31' });
    expect(r).toMatchObject({ status: 400, json: { badRequest: { code: 400, message: 'Invalid filters project_id are found in query options.' } } });
    const old = await cinder(alice, `/volumes/detail?project_id=${bob.project}`, { mv: '3.30' });
    expect(old.status).toBe(200);
    expect(old.json.volumes.every((v: any) => v['os-vol-tenant-attr:tenant_id'] === alice.project)).toBe(true);
  });

  it('gives admins every project with all_tenants, narrowed by project_id, and only their own without it', async () => {
    const all = await cinder(admin, '/volumes/detail?all_tenants=1', { mv: '3.69' });
    expect(all.json.volumes).toHaveLength(demo.cloud.volumes.length);
    const bobs = await cinder(admin, `/volumes/detail?all_tenants=1&project_id=${bob.project}`, { mv: '3.69' });
    expect(bobs.json.volumes.map((v: any) => v.id).sort()).toEqual(
      demo.cloud.volumes
        .filter((v) => v.projectId === bob.project)
        .map((v) => v.id)
        .sort(),
    );
    const own = await cinder(admin, '/volumes/detail', { mv: '3.69' });
    expect(own.json.volumes.every((v: any) => v['os-vol-tenant-attr:tenant_id'] === admin.project)).toBe(true);
  });

  it('filters by status, name and bootable', async () => {
    const spare = await cinder(alice, '/volumes/detail?status=available', { mv: '3.69' });
    expect(spare.json.volumes.length).toBeGreaterThan(0);
    expect(spare.json.volumes.every((v: any) => v.status === 'available')).toBe(true);
    const byName = await cinder(alice, '/volumes/detail?name=web-spare-0', { mv: '3.69' });
    expect(byName.json.volumes.map((v: any) => v.name)).toEqual(['web-spare-0']);
    const boot = await cinder(admin, '/volumes/detail?all_tenants=1&bootable=true', { mv: '3.69' });
    expect(boot.json.volumes.every((v: any) => v.bootable === 'true')).toBe(true);
  });

  it("answers a URL project that is not the token's with 400 Malformed request url, admins included", async () => {
    for (const [who, other] of [
      [alice, bob.project],
      [admin, alice.project],
    ] as const) {
      const r = await cinder(who, '/volumes/detail', { project: other });
      expect(r).toMatchObject({ status: 400, json: { badRequest: { code: 400, message: 'Malformed request url' } } });
    }
  });
});

describe('volumes summary', () => {
  const totals = (volumes: { size: number }[]) => ({ total_count: volumes.length, total_size: volumes.reduce((n, v) => n + v.size, 0) });

  it("sums the listing's scope and filters: all projects for an admin with all_tenants, one zone, the caller's project", async () => {
    const all = await cinder(admin, '/volumes/summary?all_tenants=1', { mv: '3.12' });
    expect(all.status).toBe(200);
    expect(all.json).toEqual({ 'volume-summary': totals(demo.cloud.volumes) });
    const zone = demo.cloud.volumes[0].zone;
    const inZone = await cinder(admin, `/volumes/summary?all_tenants=1&availability_zone=${zone}`, { mv: '3.12' });
    expect(inZone.json['volume-summary']).toEqual(totals(demo.cloud.volumes.filter((v) => v.zone === zone)));
    // A member's summary is its own project's, whatever all_tenants says.
    const own = await cinder(alice, '/volumes/summary?all_tenants=1', { mv: '3.12' });
    expect(own.json['volume-summary']).toEqual(totals(demo.cloud.volumes.filter((v) => v.projectId === alice.project)));
  });

  it('adds the metadata union from 3.36 and does not exist below 3.12 (404)', async () => {
    const withMetadata = await cinder(admin, '/volumes/summary?all_tenants=1', { mv: '3.36' });
    expect(withMetadata.json['volume-summary']).toMatchObject({ ...totals(demo.cloud.volumes), metadata: expect.any(Object) });
    const old = await cinder(admin, '/volumes/summary?all_tenants=1', { mv: '3.11' });
    expect(old).toMatchObject({ status: 404, json: { itemNotFound: { code: 404 } } });
  });
});

describe('pagination', () => {
  it('walks limit/marker pages to exactly the full listing, newest first', async () => {
    const full = (await cinder(admin, '/volumes/detail?all_tenants=1', { mv: '3.69' })).json.volumes.map((v: any) => v.id);
    const { all, pages } = await walk(admin, '/volumes/detail?all_tenants=1&limit=7');
    expect(all.map((v) => v.id)).toEqual(full);
    expect(pages).toBe(Math.floor(full.length / 7) + 1);
    const created = all.map((v) => v.created_at);
    expect([...created].sort().reverse()).toEqual(created);
  });

  it('links the next page only when a page is full, keeping the other parameters', async () => {
    const r = await cinder(alice, '/volumes/detail?limit=2&status=in-use', { mv: '3.69' });
    const [link] = r.json.volumes_links;
    expect(link.rel).toBe('next');
    expect(link.href).toBe(`${demo.urls.cinder}/v3/${alice.project}/volumes/detail?limit=2&status=in-use&marker=${r.json.volumes[1].id}`);
    const count = demo.cloud.volumes.filter((v) => v.projectId === alice.project).length;
    const whole = await cinder(alice, `/volumes?limit=${count + 1}`);
    expect(whole.json.volumes).toHaveLength(count);
    expect(whole.json).not.toHaveProperty('volumes_links');
  });

  it('sorts by the requested keys and skips offset items after the marker', async () => {
    const bySize = (await cinder(admin, '/volumes/detail?all_tenants=1&sort=size:asc', { mv: '3.69' })).json.volumes;
    const sizes = bySize.map((v: any) => v.size);
    expect(sizes).toEqual([...sizes].sort((a, b) => a - b));
    const base = (await cinder(admin, '/volumes?all_tenants=1&limit=10')).json.volumes.map((v: any) => v.id);
    const skipped = (await cinder(admin, `/volumes?all_tenants=1&limit=3&offset=2&marker=${base[1]}`)).json.volumes.map((v: any) => v.id);
    expect(skipped).toEqual(base.slice(4, 7));
  });

  it('answers an unknown marker as Cinder does: 404 itemNotFound for the marker volume', async () => {
    const r = await cinder(alice, '/volumes/detail?marker=00000000-0000-4000-8000-000000000000', { mv: '3.69' });
    expect(r).toMatchObject({
      status: 404,
      json: { itemNotFound: { code: 404, message: 'Volume 00000000-0000-4000-8000-000000000000 could not be found.' } },
    });
    expect((await cinder(alice, '/volumes?limit=x')).json).toEqual({ badRequest: { code: 400, message: 'limit param must be an integer' } });
  });
});

describe('writes', () => {
  it("creates a volume with 202 in creating, in the create sample's shape, and makes it available", async () => {
    const r = await cinder(alice, '/volumes', {
      method: 'POST',
      mv: '3.69',
      body: JSON.stringify({ volume: { size: 10, name: 'scratch', volume_type: 'ssd', availability_zone: 'zone-b' } }),
    });
    expect(r.status).toBe(202);
    expect(Object.keys(r.json.volume).sort()).toEqual(
      Object.keys(CREATE_SAMPLE)
        .filter((k) => !['migration_status', 'provider_id', 'cluster_name'].includes(k))
        .sort(),
    );
    expect(r.json.volume).toMatchObject({
      status: 'creating',
      size: 10,
      name: 'scratch',
      volume_type: 'ssd',
      availability_zone: 'zone-b',
      bootable: 'false',
      updated_at: null,
    });
    const id = r.json.volume.id;
    let status = r.json.volume.status;
    for (let i = 0; i < 40 && status === 'creating'; i++) {
      await sleep(25);
      status = (await cinder(alice, `/volumes/${id}`)).json.volume.status;
    }
    expect(status).toBe('available');
    expect((await cinder(bob, `/volumes/${id}`)).status).toBe(404);
  });

  it('deletes an available volume with 202: deleting, then gone', async () => {
    const created = await cinder(bob, '/volumes', { method: 'POST', body: JSON.stringify({ volume: { size: 1 } }) });
    const id = created.json.volume.id;
    await sleep(demo.cloud.asyncDelayMs + 30);
    expect((await cinder(bob, `/volumes/${id}`, { method: 'DELETE' })).status).toBe(202);
    expect((await cinder(bob, `/volumes/${id}`)).json.volume.status).toBe('deleting');
    await sleep(demo.cloud.asyncDelayMs + 30);
    expect((await cinder(bob, `/volumes/${id}`)).status).toBe(404);
  });

  it('refuses to delete an attached volume, and validates create bodies', async () => {
    const attached = demo.cloud.volumes.find((v) => v.projectId === alice.project && v.attachments.length)!;
    const r = await cinder(alice, `/volumes/${attached.id}`, { method: 'DELETE' });
    expect(r).toMatchObject({ status: 400, json: { badRequest: { code: 400, message: expect.stringMatching(/^Invalid volume: /) } } });
    expect((await cinder(alice, '/volumes', { method: 'POST', body: JSON.stringify({ volume: { size: 0 } }) })).status).toBe(400);
    expect((await cinder(alice, '/volumes', { method: 'POST', body: JSON.stringify({ volume: { size: 1, volume_type: 'gold' } }) })).json).toEqual({
      itemNotFound: { code: 404, message: 'Volume type with name gold could not be found.' },
    });
    expect(
      (await cinder(alice, '/volumes', { method: 'POST', body: JSON.stringify({ volume: { size: 1, availability_zone: 'mars' } }) })).json,
    ).toEqual({ badRequest: { code: 400, message: "Availability zone 'mars' is invalid." } });
  });
});

describe('errors', () => {
  it('answers a missing token with the Keystone 401 shape', async () => {
    const res = await fetch(`${demo.urls.cinder}/v3/${alice.project}/volumes`);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: { code: 401, title: 'Unauthorized', message: expect.any(String) } });
  });

  it('answers injected failures with a computeFault 500', async () => {
    demo.setFaults('cinder', { errorRate: 1 });
    const r = await cinder(alice, '/volumes/detail');
    expect(r).toMatchObject({ status: 500, json: { computeFault: { code: 500, message: expect.any(String) } } });
  });
});

describe('medium cloud', () => {
  let medium: DemoCloud;
  beforeAll(async () => {
    medium = await startTestCloud({ size: 'medium' });
  });
  afterAll(() => medium?.close());

  it('caps pages at 1000 and links the next page until every volume was listed once', async () => {
    const t = await issueToken(medium, 'admin');
    const who = { token: t.token, project: t.body.token.project.id };
    const pages: any[] = [];
    let url: string | undefined = `${medium.urls.cinder}/v3/${who.project}/volumes/detail?all_tenants=1`;
    while (url) {
      const res = await fetch(url, { headers: { 'x-auth-token': who.token, 'openstack-api-version': 'volume 3.69' } });
      const body: any = await res.json();
      pages.push(body);
      url = body.volumes_links?.[0]?.href;
    }
    const total = medium.cloud.volumes.length;
    expect(total).toBeGreaterThan(5000);
    expect(pages).toHaveLength(Math.ceil(total / 1000));
    for (const p of pages.slice(0, -1)) {
      expect(p.volumes).toHaveLength(1000);
      expect(p.volumes_links).toEqual([{ rel: 'next', href: expect.stringContaining(`marker=${p.volumes[999].id}`) }]);
    }
    expect(pages.at(-1).volumes).toHaveLength(total % 1000);
    expect(pages.at(-1)).not.toHaveProperty('volumes_links');
    const ids = pages.flatMap((p) => p.volumes.map((v: any) => v.id));
    expect(new Set(ids).size).toBe(total);
  });
});

describe('volume types and quota sets', () => {
  it('lists public types to members without extra specs, every type with them to admins', async () => {
    const member = await cinder(alice, '/types', { mv: '3.69' });
    expect(member.status).toBe(200);
    expect(member.json.volume_types.map((t: any) => t.name).sort()).toEqual(['__DEFAULT__', 'hdd', 'ssd']);
    for (const t of member.json.volume_types) {
      expect(Object.keys(t).sort()).toEqual(['description', 'id', 'is_public', 'name', 'os-volume-type-access:is_public']);
    }
    // As Cinder parses is_public (api_utils._parse_is_public): unset lists an admin public types only; `None` every type.
    const publicOnly = await cinder(admin, '/types', { mv: '3.69' });
    expect(publicOnly.json.volume_types.map((t: any) => t.name).sort()).toEqual(['__DEFAULT__', 'hdd', 'ssd']);
    expect((await cinder(alice, '/types?is_public=None', { mv: '3.69' })).json.volume_types.map((t: any) => t.name).sort()).toEqual([
      '__DEFAULT__',
      'hdd',
      'ssd',
    ]);
    const all = await cinder(admin, '/types?is_public=None', { mv: '3.69' });
    const replicated = all.json.volume_types.find((t: any) => t.name === 'replicated');
    expect(replicated).toMatchObject({
      is_public: false,
      extra_specs: { volume_backend_name: 'ceph', replication_enabled: '<is> True' },
      qos_specs_id: null,
    });
    // A volume's volume_type_id names its type's id.
    const volume = (await cinder(alice, '/volumes/detail', { mv: '3.69' })).json.volumes[0];
    expect(all.json.volume_types.find((t: any) => t.id === volume.volume_type_id)?.name).toBe(volume.volume_type);
    expect((await cinder(alice, `/types/${replicated.id}`)).status).toBe(404);
    expect((await cinder(admin, `/types/${replicated.id}`)).json.volume_type.name).toBe('replicated');
  });

  it("answers a project's quota set with usage from its volumes, and refuses another project's to members", async () => {
    const volumes = demo.cloud.volumes.filter((v) => v.projectId === alice.project);
    const r = await cinder(alice, `/os-quota-sets/${alice.project}?usage=true`);
    expect(r.status).toBe(200);
    expect(r.json.quota_set.id).toBe(alice.project);
    expect(r.json.quota_set.volumes).toEqual({ reserved: 0, allocated: 0, limit: 10, in_use: volumes.length });
    expect(r.json.quota_set.gigabytes.in_use).toBe(volumes.reduce((n, v) => n + v.size, 0));
    expect(r.json.quota_set.volumes_ssd.in_use).toBe(volumes.filter((v) => v.volumeType === 'ssd').length);
    expect((await cinder(alice, `/os-quota-sets/${alice.project}`)).json.quota_set.volumes).toBe(10);
    expect(await cinder(alice, `/os-quota-sets/${bob.project}?usage=true`)).toMatchObject({
      status: 403,
      json: { forbidden: { code: 403, message: "Policy doesn't allow volume_extension:quotas:show to be performed." } },
    });
    expect((await cinder(admin, `/os-quota-sets/${bob.project}?usage=true`)).status).toBe(200);
  });
});
