// The later write paths, end to end against real servers (the emulated cloud, the gateway over HTTP on both
// runtimes, MongoDB via FerretDB): resizing an instance (confirmed by the operation, or left at VERIFY_RESIZE and
// confirmed or reverted by its own mutation), host maintenance, and legacy writes whose answer was lost, which
// the region controller is asked about (GET /requests/{id}). Checked through the graph and in the emulators' state.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken, startTestCloud, statsOf, type DemoCloud } from '../helpers/cloud.ts';
import { RUNTIMES, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { mongoSkipReason, mongoUri, openTestDb, type TestDb } from '../helpers/mongo.ts';
import { NO_FAULTS } from '../../subgraphs/emulator/emulator-server.ts';
import type { Server } from '../../subgraphs/seed/types.ts';

const OPERATION = `id kind status error { code message upstreamMessage }
  target { id __typename ... on Instance { uuid instanceStatus: status flavor { name } } ... on Disk { name sizeGb backend } ... on Host { hostname status } }`;

const M = {
  resizeInstance: `mutation($input: ResizeInstanceInput!) { resizeInstance(input: $input) { operation { ${OPERATION} } } }`,
  confirmResizeInstance: `mutation($input: InstanceActionInput!) { confirmResizeInstance(input: $input) { operation { ${OPERATION} } } }`,
  revertResizeInstance: `mutation($input: InstanceActionInput!) { revertResizeInstance(input: $input) { operation { ${OPERATION} } } }`,
  setHostMaintenance: `mutation($input: SetHostMaintenanceInput!) { setHostMaintenance(input: $input) { operation { ${OPERATION} } host { status } } }`,
  createDisk: `mutation($input: CreateDiskInput!) { createDisk(input: $input) { operation { ${OPERATION} } } }`,
  deleteHost: `mutation($input: DeleteHostInput!) { deleteHost(input: $input) { operation { ${OPERATION} } } }`,
};

let keyCounter = 0;
const newKey = (label: string) => `${label}-${process.pid}-${Date.now().toString(36)}-${keyCounter++}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const hostId = (id: number) => Buffer.from(`Host:${id}`).toString('base64url');

async function settled(gw: TestGateway, id: string, token: string, timeoutMs = 15_000): Promise<any> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await gw.query(`query($id: ID!) { operation(id: $id) { ${OPERATION} } }`, { id }, token);
    const op = res.body.data?.operation;
    if (op && (op.status === 'SUCCEEDED' || op.status === 'FAILED')) return op;
    if (Date.now() > until) throw new Error(`operation ${id} not final: ${JSON.stringify(res.body)}`);
    await sleep(40);
  }
}

async function mutate(gw: TestGateway, name: keyof typeof M, input: Record<string, unknown>, token: string): Promise<any> {
  const res = await gw.query(M[name], { input }, token);
  expect(res.body.errors, JSON.stringify(res.body.errors)).toBeUndefined();
  return res.body.data[name].operation;
}

const routeCount = async (cloud: DemoCloud, service: 'nova' | 'legacy', route: string) => (await statsOf(cloud, service)).byRoute[route] ?? 0;

describe.skipIf(mongoSkipReason !== null)('resize, host maintenance and lost legacy writes', () => {
  let cloud: DemoCloud;
  let db: TestDb;
  let alice: string;
  let admin: string;
  const gateways: TestGateway[] = [];
  const start = async (runtime: (typeof RUNTIMES)[number]) => {
    const gw = await startTestGateway(cloud, runtime, { mongodb: { uri: mongoUri, database: db.db.databaseName } });
    gateways.push(gw);
    return gw;
  };
  const taken = new Set<string>();
  /** A new ACTIVE server of alice's project, made through Nova as a client would. */
  const aliceServer = async (gw: TestGateway): Promise<Server> => {
    const image = cloud.cloud.images.find((i) => i.status === 'active' && i.visibility === 'public')!;
    const name = `rs-${keyCounter}-${Date.now().toString(36)}`;
    const create = `mutation($input: CreateInstanceInput!) { createInstance(input: $input) { operation { id } } }`;
    const res = await gw.query(
      create,
      { input: { idempotencyKey: newKey('srv'), name, flavorId: cloud.cloud.flavors[0].id, imageId: image.id } },
      alice,
    );
    expect((await settled(gw, res.body.data.createInstance.operation.id, alice)).status).toBe('SUCCEEDED');
    return cloud.cloud.servers.find((s) => s.name === name)!;
  };
  const otherFlavor = (s: Server) => cloud.cloud.flavors.find((f) => f.id !== s.flavorId)!;
  const flavorName = (id: string) => cloud.cloud.flavors.find((f) => f.id === id)!.name;

  beforeAll(async () => {
    cloud = await startTestCloud();
    db = await openTestDb('gw_mutations_lifecycle');
    [alice, admin] = (await Promise.all(['alice', 'admin'].map((u) => issueToken(cloud, u)))).map((t) => t.token);
  });
  afterAll(async () => {
    for (const gw of gateways) await gw.close().catch(() => {});
    await db?.close();
    await cloud?.close();
  });

  describe.each(RUNTIMES)('on %s', (runtime) => {
    let gw: TestGateway;
    beforeAll(async () => {
      gw = await start(runtime);
    });

    it('resizes an instance and confirms it: SUCCEEDED once ACTIVE with the new flavor', async () => {
      const server = await aliceServer(gw);
      const to = otherFlavor(server);
      const posts = await routeCount(cloud, 'nova', 'POST /v2.1/servers/:id/action');
      const op = await mutate(gw, 'resizeInstance', { idempotencyKey: newKey('resize'), instanceId: server.id, flavorId: to.id }, alice);
      expect(op.kind).toBe('RESIZE_INSTANCE');
      const done = await settled(gw, op.id, alice);
      expect(done).toMatchObject({ status: 'SUCCEEDED', target: { instanceStatus: 'ACTIVE', flavor: { name: to.name } } });
      expect(server).toMatchObject({ status: 'ACTIVE', flavorId: to.id });
      // One resize and one confirmResize.
      expect(await routeCount(cloud, 'nova', 'POST /v2.1/servers/:id/action')).toBe(posts + 2);
    });

    it('without confirm it SUCCEEDS at VERIFY_RESIZE; revertResizeInstance goes back to the old flavor, confirmResizeInstance keeps the new', async () => {
      const server = await aliceServer(gw);
      const from = server.flavorId;
      const to = otherFlavor(server);
      const resize = (key: string) =>
        mutate(gw, 'resizeInstance', { idempotencyKey: newKey(key), instanceId: server.id, flavorId: to.id, confirm: false }, alice);
      const waiting = await settled(gw, (await resize('resize-nc')).id, alice);
      expect(waiting).toMatchObject({ status: 'SUCCEEDED', target: { instanceStatus: 'VERIFY_RESIZE', flavor: { name: to.name } } });
      const reverted = await settled(
        gw,
        (await mutate(gw, 'revertResizeInstance', { idempotencyKey: newKey('revert'), instanceId: server.id }, alice)).id,
        alice,
      );
      expect(reverted).toMatchObject({
        status: 'SUCCEEDED',
        kind: 'REVERT_RESIZE_INSTANCE',
        target: { instanceStatus: 'ACTIVE', flavor: { name: flavorName(from) } },
      });
      expect(server).toMatchObject({ status: 'ACTIVE', flavorId: from });

      await settled(gw, (await resize('resize-nc2')).id, alice);
      const confirmed = await settled(
        gw,
        (await mutate(gw, 'confirmResizeInstance', { idempotencyKey: newKey('confirm'), instanceId: server.id }, alice)).id,
        alice,
      );
      expect(confirmed).toMatchObject({ status: 'SUCCEEDED', target: { instanceStatus: 'ACTIVE', flavor: { name: to.name } } });
      expect(server.flavorId).toBe(to.id);
    });

    it('after a lost resize answer, an earlier resize to another flavor left in VERIFY_RESIZE is neither confirmed nor taken as this one', async () => {
      const server = await aliceServer(gw);
      const [first, second] = cloud.cloud.flavors.filter((f) => f.id !== server.flavorId && f.vcpus <= 4);
      const waiting = await settled(
        gw,
        (await mutate(gw, 'resizeInstance', { idempotencyKey: newKey('rs-a'), instanceId: server.id, flavorId: first.id, confirm: false }, alice)).id,
        alice,
      );
      expect(waiting).toMatchObject({ status: 'SUCCEEDED', target: { instanceStatus: 'VERIFY_RESIZE' } });
      const posts = await routeCount(cloud, 'nova', 'POST /v2.1/servers/:id/action');
      // Nova refuses this resize (409, the server waits in VERIFY_RESIZE) and the answer is lost.
      cloud.setFaults('nova', { dropAnswerUrlsContaining: `/servers/${server.id}/action` });
      let op;
      try {
        op = await mutate(gw, 'resizeInstance', { idempotencyKey: newKey('rs-b'), instanceId: server.id, flavorId: second.id }, alice);
      } finally {
        cloud.setFaults('nova', NO_FAULTS);
      }
      expect(op.status).toBe('RUNNING');
      const done = await settled(gw, op.id, alice, 40_000);
      expect(done).toMatchObject({ status: 'FAILED', error: { code: 'MOSAIC_ERR_UPSTREAM_TIMEOUT' } });
      // No confirmResize was sent for the earlier resize: it still waits, with its own flavor.
      expect(server).toMatchObject({ status: 'VERIFY_RESIZE', flavorId: first.id });
      expect(await routeCount(cloud, 'nova', 'POST /v2.1/servers/:id/action')).toBe(posts + 1);
    }, 60_000);

    it('a confirmResize Nova refuses for good (403) ends the resize FAILED with that cause instead of re-sending it', async () => {
      const server = await aliceServer(gw);
      const to = otherFlavor(server);
      const op = await mutate(gw, 'resizeInstance', { idempotencyKey: newKey('rs-403'), instanceId: server.id, flavorId: to.id }, alice);
      // The resize was answered; from now on Nova refuses this server's actions with 403 (a policy change).
      cloud.setFaults('nova', { failUrlsContaining: `/servers/${server.id}/action`, failStatus: 403 });
      try {
        const done = await settled(gw, op.id, alice);
        expect(done).toMatchObject({ status: 'FAILED', error: { code: 'MOSAIC_ERR_UPSTREAM_FORBIDDEN' } });
      } finally {
        cloud.setFaults('nova', NO_FAULTS);
      }
      expect(server).toMatchObject({ status: 'VERIFY_RESIZE', flavorId: to.id });
    });

    it('an unknown flavor is refused before Nova is called; one past the quota is MOSAIC_ERR_OVER_QUOTA; confirming an instance not in VERIFY_RESIZE is MOSAIC_ERR_CONFLICT', async () => {
      const server = await aliceServer(gw);
      const posts = await routeCount(cloud, 'nova', 'POST /v2.1/servers/:id/action');
      const [shows, lists] = [await routeCount(cloud, 'nova', 'GET /v2.1/flavors/:id'), await routeCount(cloud, 'nova', 'GET /v2.1/flavors/detail')];
      const res = await gw.query(
        M.resizeInstance,
        { input: { idempotencyKey: newKey('nof'), instanceId: server.id, flavorId: 'no-such-flavor' } },
        alice,
      );
      expect(res.body.errors![0]).toMatchObject({ path: ['resizeInstance'], extensions: { mosaicCode: 'MOSAIC_ERR_BAD_ARGUMENT' } });
      expect(res.body.errors![0].message).toContain('no-such-flavor');
      expect(await routeCount(cloud, 'nova', 'POST /v2.1/servers/:id/action')).toBe(posts);
      // One GET /flavors/{id} (404), not the public flavors list.
      expect(await routeCount(cloud, 'nova', 'GET /v2.1/flavors/:id')).toBe(shows + 1);
      expect(await routeCount(cloud, 'nova', 'GET /v2.1/flavors/detail')).toBe(lists);
      // Past the project's cores quota (20, Nova's default): Nova's 403 OverQuota, MOSAIC_ERR_OVER_QUOTA at the path.
      const huge = cloud.cloud.flavors.reduce((a, b) => (b.vcpus > a.vcpus ? b : a));
      const over = await gw.query(M.resizeInstance, { input: { idempotencyKey: newKey('quota'), instanceId: server.id, flavorId: huge.id } }, alice);
      expect(over.body.errors![0]).toMatchObject({
        path: ['resizeInstance'],
        extensions: { mosaicCode: 'MOSAIC_ERR_OVER_QUOTA', upstreamStatus: 403 },
      });
      expect(over.body.errors![0].message).toContain('Quota exceeded for cores');
      expect(server.flavorId).not.toBe(huge.id);
      const conflict = await gw.query(M.confirmResizeInstance, { input: { idempotencyKey: newKey('nc'), instanceId: server.id } }, alice);
      expect(conflict.body.errors![0].extensions).toMatchObject({ mosaicCode: 'MOSAIC_ERR_CONFLICT', service: 'nova', upstreamStatus: 409 });
      expect(conflict.body.errors![0].message).toContain('vm_state active');
    });

    it('puts an online host in maintenance and back (administrators only); an offline host is a conflict', async () => {
      const host = cloud.cloud.hosts.find((h) => h.status === 1 && !taken.has(`host:${h.id}`))!;
      taken.add(`host:${host.id}`);
      const input = { idempotencyKey: newKey('mnt'), hostId: hostId(host.id), enabled: true };
      const denied = await gw.query(M.setHostMaintenance, { input }, alice);
      expect(denied.body.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN', mosaicCode: 'MOSAIC_ERR_ADMIN_ONLY' });
      const on = await mutate(gw, 'setHostMaintenance', input, admin);
      expect(on).toMatchObject({ kind: 'SET_HOST_MAINTENANCE', status: 'SUCCEEDED', target: { __typename: 'Host', hostname: host.hostname } });
      expect(host.status).toBe(2);
      const off = await mutate(gw, 'setHostMaintenance', { idempotencyKey: newKey('mnt-off'), hostId: hostId(host.id), enabled: false }, admin);
      expect(off.status).toBe('SUCCEEDED');
      expect(host.status).toBe(1);

      const offline = cloud.cloud.hosts.find((h) => h.status === 0);
      if (offline) {
        const res = await gw.query(
          M.setHostMaintenance,
          { input: { idempotencyKey: newKey('mnt-x'), hostId: hostId(offline.id), enabled: true } },
          admin,
        );
        expect(res.body.errors![0].extensions).toMatchObject({ mosaicCode: 'MOSAIC_ERR_CONFLICT', service: 'legacy', upstreamStatus: 409001 });
        expect(offline.status).toBe(0);
      }
    });
  });

  describe('legacy writes whose answer was lost', () => {
    let gw: TestGateway;
    beforeAll(async () => {
      gw = await start('mercurius');
    });
    /** Sends a legacy createDisk while the controller carries out disk creates and then resets the connection. */
    const lostCreate = async (input: Record<string, unknown>) => {
      cloud.setFaults('legacy', { dropAnswerUrlsContaining: '/disks' });
      try {
        return await mutate(gw, 'createDisk', input, admin);
      } finally {
        cloud.setFaults('legacy', NO_FAULTS);
      }
    };

    it('a lost legacy createDisk ends SUCCEEDED from the controller’s request log, with exactly one disk created', async () => {
      const zone = cloud.cloud.zones[0];
      const name = `lost-${keyCounter}`;
      const posts = await routeCount(cloud, 'legacy', 'POST /storages/:storage_id/disks');
      const op = await lostCreate({ idempotencyKey: newKey('lost'), backend: 'LEGACY', sizeGb: 7, zone: zone.name, name });
      expect(op).toMatchObject({ status: 'RUNNING', target: null });
      const done = await settled(gw, op.id, admin);
      const disks = cloud.cloud.legacyDisks.filter((d) => d.name === name);
      expect(disks).toHaveLength(1);
      expect(done).toMatchObject({ status: 'SUCCEEDED', target: { __typename: 'Disk', backend: 'LEGACY', name, sizeGb: 7 } });
      expect(done.target.id).toBe(Buffer.from(`Disk:legacy:${disks[0].id}`).toString('base64url'));
      expect(await routeCount(cloud, 'legacy', 'POST /storages/:storage_id/disks')).toBe(posts + 1);
      expect(await routeCount(cloud, 'legacy', 'GET /requests/:request_id')).toBeGreaterThan(0);
    });

    it('a lost legacy createDisk the controller refused ends FAILED with its ret and msg', async () => {
      const zone = cloud.cloud.zones[0];
      const name = `lost-bad-${keyCounter}`;
      const op = await lostCreate({ idempotencyKey: newKey('lost-bad'), backend: 'LEGACY', sizeGb: 70_000, zone: zone.name, name });
      const done = await settled(gw, op.id, admin);
      expect(done).toMatchObject({ status: 'FAILED', error: { code: 'MOSAIC_ERR_BAD_ARGUMENT' } });
      expect(done.error.upstreamMessage).toContain('size_gb');
      expect(cloud.cloud.legacyDisks.filter((d) => d.name === name)).toHaveLength(0);
    });

    it('a lost deleteHost ends SUCCEEDED from the request log: the host was deleted once', async () => {
      const template = cloud.cloud.hosts[0];
      const host = { ...template, id: 7_000 + keyCounter, hostname: `lost-host-${keyCounter}`, status: 1 as const };
      cloud.cloud.hosts.push(host);
      const deletes = await routeCount(cloud, 'legacy', 'DELETE /zones/:zone_id/hosts/:host_id');
      cloud.setFaults('legacy', { dropAnswerUrlsContaining: `/hosts/${host.id}` });
      let op;
      try {
        op = await mutate(gw, 'deleteHost', { idempotencyKey: newKey('lost-host'), hostId: hostId(host.id) }, admin);
      } finally {
        cloud.setFaults('legacy', NO_FAULTS);
      }
      expect(op.status).toBe('RUNNING');
      expect(await db.db.collection('operations').findOne({ idempotencyKey: { $regex: '^lost-host' } }, { sort: { _id: -1 } })).toMatchObject({
        phase: 'verify',
      });
      expect((await settled(gw, op.id, admin)).status).toBe('SUCCEEDED');
      expect(cloud.cloud.hosts.some((h) => h.id === host.id)).toBe(false);
      expect(await routeCount(cloud, 'legacy', 'DELETE /zones/:zone_id/hosts/:host_id')).toBe(deletes + 1);
    });
  });
});
