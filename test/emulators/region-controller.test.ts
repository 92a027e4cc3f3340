// Contract tests of the legacy region controller emulator: the exact JSON the gateway's legacy datasource reads
// (envelope, ret codes, record shapes, UTC+8 timestamps, offset paging, id caps), its writes, and the nginx
// pages in front of it, request ids (one write per id, GET /requests/{id}) and host maintenance. Runs against a real
// tiny cloud on loopback.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestCloud, type DemoCloud } from '../helpers/cloud.ts';
import { NO_FAULTS } from '../../subgraphs/emulator/emulator-server.ts';
import type { Host } from '../../subgraphs/seed/types.ts';

let demo: DemoCloud;
beforeAll(async () => {
  demo = await startTestCloud();
});
afterAll(() => demo?.close());
afterEach(() => demo.setFaults('legacy', NO_FAULTS));

interface Reply {
  status: number;
  contentType: string | null;
  text: string;
  json: any;
}

async function call(path: string, init: RequestInit & { key?: string | null } = {}): Promise<Reply> {
  const headers = new Headers(init.headers);
  const key = init.key === undefined ? demo.legacyApiKey : init.key;
  if (key !== null) headers.set('x-api-key', key);
  if (init.body) headers.set('content-type', 'application/json');
  const res = await fetch(`${demo.legacyUrl}${path}`, { ...init, headers });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, contentType: res.headers.get('content-type'), text, json };
}
/** The `data` of a successful reply, asserting the envelope. */
async function data(path: string, init?: RequestInit): Promise<any> {
  const r = await call(path, init);
  expect(r.status).toBe(200);
  expect(r.json).toMatchObject({ ret: 0, msg: 'ok' });
  return r.json.data;
}
/** Asserts an application error: HTTP 200, the code, data null, a message. */
async function expectRet(path: string, ret: number, init?: RequestInit & { key?: string | null }): Promise<string> {
  const r = await call(path, init);
  expect(r.status, path).toBe(200);
  expect(r.json, path).toEqual({ ret, msg: expect.any(String), data: null });
  expect(r.json.msg.length).toBeGreaterThan(0);
  return r.json.msg;
}

/** Formats independently of the emulator: add 8 h, read the UTC fields. */
const utc8 = (d: Date) => {
  const t = new Date(d.getTime() + 8 * 3_600_000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${t.getUTCFullYear()}-${p(t.getUTCMonth() + 1)}-${p(t.getUTCDate())} ${p(t.getUTCHours())}:${p(t.getUTCMinutes())}:${p(t.getUTCSeconds())}`;
};
const NGINX_502 =
  '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>';
const NGINX_404 =
  '<html><head><title>404 Not Found</title></head><body><center><h1>404 Not Found</h1></center><hr><center>nginx</center></body></html>';

/** Adds a zone 90 with `n` hosts for the duration of `fn`, so paging has more than one default page. */
async function withExtraZone(n: number, fn: (hosts: Host[]) => Promise<void>) {
  const { cloud } = demo;
  cloud.zones.push({ id: 90, name: 'zone-x', region: cloud.region, description: 'paging zone', createdAt: new Date(Date.UTC(2025, 4, 6, 8)) });
  const hosts: Host[] = Array.from({ length: n }, (_, i) => ({
    id: 9000 + n - i,
    zoneId: 90,
    hostname: `zone-x-cn${i}`,
    ip: `10.9.0.${i}`,
    rack: 'RX-01',
    status: 1,
    vcpus: 8,
    memoryMb: 1024,
    diskGb: 100,
    createdAt: new Date(Date.UTC(2025, 4, 6, 8) + i * 1000),
    hypervisorId: `hv-${i}`,
  }));
  cloud.hosts.push(...hosts); // pushed in descending id order: the API must sort
  try {
    await fn(hosts);
  } finally {
    cloud.hosts.splice(cloud.hosts.length - n, n);
    cloud.zones.pop();
  }
}

describe('legacy region controller: auth and transport', () => {
  const routes = [
    '/zones',
    '/zones/1',
    '/zones/1/hosts',
    '/zones/1/hosts/1',
    '/hosts?ids=1',
    '/storages',
    '/storages/1',
    '/storages/1/disks',
    '/disks?instance_uuids=x',
    '/disks/1',
  ];

  it('rejects a missing or wrong X-Api-Key on every route with ret 401001 and HTTP 200', async () => {
    for (const path of routes) {
      for (const key of [null, 'wrong-key']) {
        const r = await call(path, { key });
        expect(r.status).toBe(200);
        expect(r.text).toBe('{"ret":401001,"msg":"invalid api key","data":null}');
      }
    }
    expect((await call('/zones/1/hosts/1', { method: 'DELETE', key: 'nope' })).json.ret).toBe(401001);
    expect((await call('/storages/1/disks', { method: 'POST', key: null, body: '{}' })).json.ret).toBe(401001);
    expect(demo.cloud.hosts.some((h) => h.id === 1)).toBe(true);
  });

  it('answers an unknown path or method with nginx 404 HTML, key or not', async () => {
    for (const [path, method] of [
      ['/nope', 'GET'],
      ['/zones/1/racks', 'GET'],
      ['/zones', 'PUT'],
    ]) {
      const r = await call(path, { method });
      expect(r.status).toBe(404);
      expect(r.contentType).toMatch(/^text\/html/);
      expect(r.text).toBe(NGINX_404);
    }
  });

  it('answers injected failures with nginx 502 HTML under errorRate 1', async () => {
    demo.setFaults('legacy', { errorRate: 1 });
    for (const path of ['/zones', '/hosts?ids=1']) {
      const r = await call(path);
      expect(r.status).toBe(502);
      expect(r.contentType).toMatch(/^text\/html/);
      expect(r.text).toBe(NGINX_502);
    }
  });

  it('turns a handler exception into HTTP 200 with ret 500001', async () => {
    const host = demo.cloud.hosts[0];
    const saved = host.createdAt;
    host.createdAt = new Date(NaN); // formatting an invalid date throws inside the handler
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      await expectRet(`/zones/${host.zoneId}/hosts/${host.id}`, 500001);
      expect(logged).toHaveBeenCalledWith('[region-controller] handler error', expect.any(RangeError));
    } finally {
      logged.mockRestore();
      host.createdAt = saved;
    }
  });

  it('treats a malformed JSON body as ret 400001', async () => {
    await expectRet('/storages/1/disks', 400001, { method: 'POST', body: '{"name": ' });
  });
});

describe('legacy region controller: zones and hosts', () => {
  it('lists every zone with its live host count and formats timestamps in UTC+8 without a zone', async () => {
    const d = await data('/zones');
    const { cloud } = demo;
    expect(d.total).toBe(cloud.zones.length);
    expect(d.items).toHaveLength(cloud.zones.length);
    const z = cloud.zones[0];
    expect(d.items[0]).toEqual({
      id: 1,
      name: 'zone-a',
      region: 'RegionOne',
      description: z.description,
      host_count: cloud.hosts.filter((h) => h.zoneId === 1).length,
      created_at: utc8(z.createdAt),
    });
    expect(await data('/zones/1')).toEqual(d.items[0]);
  });

  it('returns a host in the pinned shape, created_at in UTC+8', async () => {
    const h = demo.cloud.hosts[0];
    const json = await data(`/zones/${h.zoneId}/hosts/${h.id}`);
    expect(json).toEqual({
      id: 1,
      zone_id: 1,
      hostname: 'zone-a-cn001',
      ip: '192.168.1.10',
      rack: 'R1-01',
      status: h.status,
      cpu_cores: h.vcpus,
      memory_mb: h.memoryMb,
      disk_gb: h.diskGb,
      created_at: utc8(h.createdAt),
    });
    expect(json.created_at).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect(Object.keys(json)).toEqual(['id', 'zone_id', 'hostname', 'ip', 'rack', 'status', 'cpu_cores', 'memory_mb', 'disk_gb', 'created_at']);
  });

  it('shifts wall time by eight hours, across midnight too', async () => {
    await withExtraZone(1, async ([h]) => {
      h.createdAt = new Date('2025-05-06T08:00:00Z');
      expect((await data(`/zones/90/hosts/${h.id}`)).created_at).toBe('2025-05-06 16:00:00');
      h.createdAt = new Date('2025-05-06T20:30:15.750Z');
      expect((await data(`/zones/90/hosts/${h.id}`)).created_at).toBe('2025-05-07 04:30:15');
    });
  });

  it('answers 404001 for unknown zones and for a host asked through another zone, 400001 for non-integer ids', async () => {
    await expectRet('/zones/99', 404001);
    await expectRet('/zones/99/hosts', 404001);
    await expectRet('/zones/99/hosts/1', 404001);
    const other = demo.cloud.hosts.find((h) => h.zoneId === 2)!;
    await expectRet(`/zones/1/hosts/${other.id}`, 404001);
    await expectRet('/zones/1/hosts/9999', 404001);
    for (const bad of ['abc', '-1', '1.5', '1e3']) {
      await expectRet(`/zones/${bad}`, 400001);
      await expectRet(`/zones/1/hosts/${bad}`, 400001);
    }
  });

  it('pages hosts by offset with a default limit of 20, in id order, to the end', async () => {
    await withExtraZone(45, async (hosts) => {
      const first = await data('/zones/90/hosts');
      expect(first.total).toBe(45);
      expect(first.items).toHaveLength(20);
      const ids: number[] = [];
      for (let offset = 0; ; offset += 7) {
        const pageData = await data(`/zones/90/hosts?offset=${offset}&limit=7`);
        expect(pageData.total).toBe(45);
        ids.push(...pageData.items.map((h: any) => h.id));
        if (pageData.items.length < 7) break;
      }
      expect(ids).toHaveLength(45);
      expect(ids).toEqual(hosts.map((h) => h.id).sort((a, b) => a - b));
      expect((await data('/zones/90/hosts?limit=100')).items).toHaveLength(45);
      expect((await data('/zones/90/hosts?offset=45')).items).toEqual([]);
      expect((await data('/zones/90/hosts?offset=1000&limit=5')).total).toBe(45);
    });
  });

  it('rejects a limit outside 1..100 and a negative or non-integer offset with 400001', async () => {
    for (const q of ['limit=0', 'limit=101', 'limit=abc', 'limit=-1', 'limit=2.5', 'offset=-1', 'offset=x']) {
      await expectRet(`/zones/1/hosts?${q}`, 400001);
    }
    expect((await data('/zones/1/hosts?limit=100&offset=0')).total).toBe(demo.cloud.hosts.filter((h) => h.zoneId === 1).length);
  });

  it('returns hosts by id list in id order, unknown ids absent, 1..50 ids', async () => {
    const d = await data('/hosts?ids=5,1,99,5');
    expect(d.items.map((h: any) => h.id)).toEqual([1, 5]);
    expect(d.total).toBe(2);
    expect(d.items[1]).toEqual(await data('/zones/2/hosts/5'));
    const fifty = Array.from({ length: 50 }, (_, i) => i + 1).join(',');
    expect((await data(`/hosts?ids=${fifty}`)).total).toBe(demo.cloud.hosts.length);
    await expectRet(`/hosts?ids=${fifty},51`, 400001);
    for (const q of ['', '?ids=', '?ids=a', '?ids=1,,2', '?ids=-3']) await expectRet(`/hosts${q}`, 400001);
  });
});

describe('legacy region controller: storages and disks', () => {
  const disksOn = (storageId: number) => demo.cloud.legacyDisks.filter((d) => d.storageId === storageId);

  it('lists storages with used_gb and disk_count from their disks', async () => {
    const d = await data('/storages');
    expect(d.total).toBe(demo.cloud.storages.length);
    const s = demo.cloud.storages[0];
    expect(d.items[0]).toEqual({
      id: s.id,
      zone_id: s.zoneId,
      name: 'ceph-zone-a',
      type: 'ceph',
      capacity_gb: 500000,
      used_gb: disksOn(s.id).reduce((n, x) => n + x.sizeGb, 0),
      disk_count: disksOn(s.id).length,
      created_at: utc8(s.createdAt),
    });
    expect(await data('/storages/1')).toEqual(d.items[0]);
    await expectRet('/storages/99', 404001);
    await expectRet('/storages/x', 400001);
    await expectRet('/storages/99/disks', 404001);
  });

  it("pages a storage's disks to the end; the pages sum to total", async () => {
    const storage = [...demo.cloud.storages].sort((a, b) => disksOn(b.id).length - disksOn(a.id).length)[0];
    const expected = disksOn(storage.id)
      .map((x) => x.id)
      .sort((a, b) => a - b);
    expect(expected.length).toBeGreaterThan(1);
    const ids: number[] = [];
    let total = -1;
    for (let offset = 0; offset < 100; offset += 1) {
      const p = await data(`/storages/${storage.id}/disks?offset=${offset}&limit=1`);
      total = p.total;
      if (p.items.length === 0) break;
      ids.push(p.items[0].id);
    }
    expect(total).toBe(expected.length);
    expect(ids).toEqual(expected);
    expect((await data(`/storages/${storage.id}/disks?limit=100`)).items).toHaveLength(expected.length);
    await expectRet(`/storages/${storage.id}/disks?limit=101`, 400001);
    await expectRet(`/storages/${storage.id}/disks?offset=-2`, 400001);
  });

  it('returns one disk by id in the pinned shape', async () => {
    const disk = demo.cloud.legacyDisks.find((x) => x.instanceUuid !== null)!;
    expect(await data(`/disks/${disk.id}`)).toEqual({
      id: disk.id,
      storage_id: disk.storageId,
      instance_uuid: disk.instanceUuid,
      name: disk.name,
      size_gb: disk.sizeGb,
      disk_type: disk.type,
      device: disk.device,
      attached: 1,
      created_at: utc8(disk.createdAt),
    });
    const orphan = demo.cloud.legacyDisks.find((x) => x.instanceUuid === null)!;
    expect(await data(`/disks/${orphan.id}`)).toMatchObject({ instance_uuid: null, device: null, attached: 0 });
    await expectRet('/disks/99999', 404001);
    await expectRet('/disks/x', 400001);
  });

  it('returns the attached disks of up to 50 instances, in id order', async () => {
    const uuids = [...new Set(demo.cloud.legacyDisks.flatMap((x) => (x.instanceUuid ? [x.instanceUuid] : [])))];
    expect(uuids.length).toBeGreaterThan(1);
    const expected = demo.cloud.legacyDisks
      .filter((x) => x.status === 1 && uuids.includes(x.instanceUuid!))
      .map((x) => x.id)
      .sort((a, b) => a - b);
    const d = await data(`/disks?instance_uuids=${[...uuids].reverse().join(',')},not-a-server`);
    expect(d.items.map((x: any) => x.id)).toEqual(expected);
    expect(d.total).toBe(expected.length);
    const noDisks = demo.cloud.servers.find((s) => !uuids.includes(s.id))!;
    expect(await data(`/disks?instance_uuids=${noDisks.id}`)).toEqual({ items: [], total: 0 });
    const fifty = Array.from({ length: 50 }, (_, i) => `uuid-${i}`);
    expect((await data(`/disks?instance_uuids=${fifty.join(',')}`)).total).toBe(0);
    await expectRet(`/disks?instance_uuids=${[...fifty, 'one-more'].join(',')}`, 400001);
    for (const q of ['', '?instance_uuids=', '?instance_uuids=a,,b']) await expectRet(`/disks${q}`, 400001);
  });

  it('leaves out a disk that still names an instance but is detached', async () => {
    const disk = demo.cloud.legacyDisks.find((x) => x.instanceUuid !== null && x.status === 1)!;
    const path = `/disks?instance_uuids=${disk.instanceUuid}`;
    expect((await data(path)).items.map((x: any) => x.id)).toContain(disk.id);
    disk.status = 0;
    try {
      expect((await data(path)).items.map((x: any) => x.id)).not.toContain(disk.id);
      expect(await data(`/disks/${disk.id}`)).toMatchObject({ instance_uuid: disk.instanceUuid, attached: 0 });
    } finally {
      disk.status = 1;
    }
  });

  it('creates a disk attached to an instance, visible in later reads', async () => {
    const { cloud } = demo;
    const server = cloud.servers.find((s) => s.status !== 'DELETED')!;
    const storageId = cloud.storages.find((s) => cloud.zones.find((z) => z.id === s.zoneId)?.name === server.zone)!.id;
    const before = await data(`/storages/${storageId}`);
    const expectedId = cloud.nextLegacyDiskId;
    const disk = await data(`/storages/${storageId}/disks`, {
      method: 'POST',
      body: JSON.stringify({ name: 'scratch', size_gb: 50, disk_type: 'ssd', instance_uuid: server.id }),
    });
    expect(disk).toEqual({
      id: expectedId,
      storage_id: storageId,
      instance_uuid: server.id,
      name: 'scratch',
      size_gb: 50,
      disk_type: 'ssd',
      device: expect.stringMatching(/^\/dev\/vd[b-z]$/),
      attached: 1,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
    });
    const taken = cloud.volumes.flatMap((v) => v.attachments.filter((a) => a.serverId === server.id).map((a) => a.device));
    expect(taken).not.toContain(disk.device);
    expect(cloud.nextLegacyDiskId).toBe(expectedId + 1);

    expect(await data(`/disks/${disk.id}`)).toEqual(disk);
    expect((await data(`/disks?instance_uuids=${server.id}`)).items).toContainEqual(disk);
    const listed = await data(`/storages/${storageId}/disks?limit=100`);
    expect(listed.total).toBe(before.disk_count + 1);
    expect(listed.items.at(-1)).toEqual(disk);
    expect(await data(`/storages/${storageId}`)).toMatchObject({ disk_count: before.disk_count + 1, used_gb: before.used_gb + 50 });
  });

  it('creates a detached disk when no instance is given', async () => {
    const disk = await data('/storages/1/disks', { method: 'POST', body: JSON.stringify({ name: 'spare', size_gb: 10, disk_type: 'sata' }) });
    expect(disk).toMatchObject({ storage_id: 1, instance_uuid: null, device: null, attached: 0, disk_type: 'sata' });
    expect((await data('/storages/1/disks?limit=100')).items.map((x: any) => x.id)).toContain(disk.id);
  });

  it('validates a new disk: 400001 for bad fields or an unknown instance, 404001 for an unknown storage', async () => {
    const count = demo.cloud.legacyDisks.length;
    const good = { name: 'x', size_gb: 10, disk_type: 'ssd' };
    const bad: unknown[] = [
      { ...good, name: '' },
      { ...good, name: 7 },
      { size_gb: 10, disk_type: 'ssd' },
      { ...good, size_gb: 0 },
      { ...good, size_gb: '10' },
      { ...good, size_gb: 1.5 },
      { ...good, disk_type: 'nvme' },
      { ...good, instance_uuid: 'no-such-server' },
      { ...good, instance_uuid: 5 },
      [good],
      'text',
    ];
    for (const body of bad) await expectRet('/storages/1/disks', 400001, { method: 'POST', body: JSON.stringify(body) });
    await expectRet('/storages/1/disks', 400001, { method: 'POST' });
    await expectRet('/storages/99/disks', 404001, { method: 'POST', body: JSON.stringify(good) });
    expect(demo.cloud.legacyDisks.length).toBe(count);
  });
});

describe('legacy region controller: deleting hosts', () => {
  it('refuses with 409001 while instances remain, then deletes once the host is empty', async () => {
    const { cloud } = demo;
    const host = cloud.hosts.find((h) => h.zoneId === 2)!;
    const onHost = cloud.servers.filter((s) => s.host === host.hostname);
    expect(onHost.length).toBeGreaterThan(1);
    const msg = await expectRet(`/zones/2/hosts/${host.id}`, 409001, { method: 'DELETE' });
    expect(msg).toBe(`host has ${onHost.length} instances`);
    await expectRet(`/zones/1/hosts/${host.id}`, 404001, { method: 'DELETE' });

    // A DELETED server no longer counts; the others are removed from Nova's list outright.
    onHost[0].status = 'DELETED';
    expect(await expectRet(`/zones/2/hosts/${host.id}`, 409001, { method: 'DELETE' })).toBe(`host has ${onHost.length - 1} instances`);
    cloud.servers = cloud.servers.filter((s) => s.host !== host.hostname || s.status === 'DELETED');

    const zoneBefore = await data('/zones/2');
    expect(await data(`/zones/2/hosts/${host.id}`, { method: 'DELETE' })).toBeNull();
    expect(cloud.hosts.some((h) => h.id === host.id)).toBe(false);
    await expectRet(`/zones/2/hosts/${host.id}`, 404001);
    await expectRet(`/zones/2/hosts/${host.id}`, 404001, { method: 'DELETE' });
    expect((await data(`/hosts?ids=${host.id}`)).items).toEqual([]);
    expect((await data('/zones/2')).host_count).toBe(zoneBefore.host_count - 1);
    const listed = await data('/zones/2/hosts');
    expect(listed.total).toBe(zoneBefore.host_count - 1);
    expect(listed.items.map((h: any) => h.id)).not.toContain(host.id);
  });
});

describe('legacy region controller: request ids and lost answers', () => {
  const post = (body: unknown, requestId: string): RequestInit => ({
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'x-request-id': requestId },
  });

  it('carries out a write once per X-Request-Id and tells what it did at GET /requests/{id}', async () => {
    const { cloud } = demo;
    const storage = cloud.storages[0].id;
    const id = `req-${Date.now()}`;
    const before = cloud.legacyDisks.length;
    const first = await data(`/storages/${storage}/disks`, post({ name: 'once', size_gb: 3, disk_type: 'ssd' }, id));
    const again = await data(`/storages/${storage}/disks`, post({ name: 'once', size_gb: 3, disk_type: 'ssd' }, id));
    expect(again).toEqual(first);
    expect(cloud.legacyDisks.length).toBe(before + 1);
    expect(await data(`/requests/${id}`)).toEqual({
      request_id: id,
      method: 'POST',
      path: `/storages/${storage}/disks`,
      ret: 0,
      msg: 'ok',
      data: first,
      executed: 1,
      received_at: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
    });
    // The id names one request: another write under it is refused, never carried out.
    const msg = await expectRet(`/zones/1/hosts/1`, 409001, { method: 'DELETE', headers: { 'x-request-id': id } });
    expect(msg).toContain(`POST /storages/${storage}/disks`);
    await expectRet(`/requests/never-sent`, 404001);
  });

  it('records a refused write with its ret, and replays the refusal', async () => {
    const storage = demo.cloud.storages[0].id;
    const id = `req-bad-${Date.now()}`;
    const msg = await expectRet(`/storages/${storage}/disks`, 400001, post({ name: 'x', size_gb: 0, disk_type: 'ssd' }, id));
    expect(await expectRet(`/storages/${storage}/disks`, 400001, post({ name: 'x', size_gb: 0, disk_type: 'ssd' }, id))).toBe(msg);
    expect(await data(`/requests/${id}`)).toMatchObject({ ret: 400001, msg, data: null, executed: 0 });
  });

  it('the dropAnswerUrlsContaining fault resets the connection after the write was carried out', async () => {
    const { cloud } = demo;
    const storage = cloud.storages[0].id;
    const id = `req-lost-${Date.now()}`;
    const before = cloud.legacyDisks.length;
    demo.setFaults('legacy', { dropAnswerUrlsContaining: '/disks' });
    await expect(call(`/storages/${storage}/disks`, post({ name: 'lost-answer', size_gb: 2, disk_type: 'sata' }, id))).rejects.toThrow();
    demo.setFaults('legacy', NO_FAULTS);
    expect(cloud.legacyDisks.length).toBe(before + 1);
    expect(await data(`/requests/${id}`)).toMatchObject({ ret: 0, executed: 1, data: { name: 'lost-answer', size_gb: 2 } });
  });
});

describe('legacy region controller: host maintenance', () => {
  it('puts an online host in maintenance (status 2) and back (1); 409001 for an offline host, 404001 for an unknown one', async () => {
    const { cloud } = demo;
    const host = cloud.hosts.find((h) => h.status === 1)!;
    const path = `/zones/${host.zoneId}/hosts/${host.id}/maintenance`;
    const put = (body: unknown): RequestInit => ({ method: 'PUT', body: JSON.stringify(body) });
    expect(await data(path, put({ enabled: true }))).toMatchObject({ id: host.id, status: 2 });
    expect((await data(`/zones/${host.zoneId}/hosts/${host.id}`)).status).toBe(2);
    // Asking again for the state it is in changes nothing.
    expect(await data(path, put({ enabled: true }))).toMatchObject({ status: 2 });
    expect(await data(path, put({ enabled: false }))).toMatchObject({ status: 1 });
    await expectRet(path, 400001, put({ enabled: 'yes' }));
    await expectRet(`/zones/${host.zoneId}/hosts/999999/maintenance`, 404001, put({ enabled: true }));
    host.status = 0;
    try {
      expect(await expectRet(path, 409001, put({ enabled: true }))).toContain('offline');
      expect(host.status).toBe(0);
    } finally {
      host.status = 1;
    }
  });
});
