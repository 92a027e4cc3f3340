// Mutations as tracked operations, end to end against real servers: the emulated cloud, the gateway over HTTP on
// both runtimes, and MongoDB (FerretDB in tests). Each change is checked through the graph (the operation reaches
// SUCCEEDED or FAILED, the resource's state) and in the emulators' own state; exactly-once is checked with the
// emulators' request counters.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken, startTestCloud, statsOf, type DemoCloud } from '../helpers/cloud.ts';
import { RUNTIMES, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { mongoSkipReason, mongoUri, openTestDb, type TestDb } from '../helpers/mongo.ts';

const OPERATION = `id kind status idempotencyKey startedAt finishedAt requestedBy { userName projectId }
  error { code message upstreamMessage }
  target { id __typename ... on Instance { uuid instanceStatus: status } ... on Disk { status device sizeGb backend } ... on Host { hostname } }`;

const FIP = `floatingIp { id address fixedIpAddress status port { id } }`;

const M = {
  createInstance: `mutation($input: CreateInstanceInput!) { createInstance(input: $input) { operation { ${OPERATION} } instance { uuid } } }`,
  deleteInstance: `mutation($input: InstanceActionInput!) { deleteInstance(input: $input) { operation { ${OPERATION} } } }`,
  startInstance: `mutation($input: InstanceActionInput!) { startInstance(input: $input) { operation { ${OPERATION} } } }`,
  stopInstance: `mutation($input: InstanceActionInput!) { stopInstance(input: $input) { operation { ${OPERATION} } } }`,
  rebootInstance: `mutation($input: RebootInstanceInput!) { rebootInstance(input: $input) { operation { ${OPERATION} } } }`,
  createDisk: `mutation($input: CreateDiskInput!) { createDisk(input: $input) { operation { ${OPERATION} } disk { id status } } }`,
  attachDisk: `mutation($input: AttachDiskInput!) { attachDisk(input: $input) { operation { ${OPERATION} } } }`,
  detachDisk: `mutation($input: DetachDiskInput!) { detachDisk(input: $input) { operation { ${OPERATION} } } }`,
  deleteDisk: `mutation($input: DeleteDiskInput!) { deleteDisk(input: $input) { operation { ${OPERATION} } } }`,
  deleteHost: `mutation($input: DeleteHostInput!) { deleteHost(input: $input) { operation { ${OPERATION} } host { hostname } } }`,
  allocateFloatingIp: `mutation($input: AllocateFloatingIpInput!) { allocateFloatingIp(input: $input) { operation { ${OPERATION} } ${FIP} } }`,
  associateFloatingIp: `mutation($input: AssociateFloatingIpInput!) { associateFloatingIp(input: $input) { operation { ${OPERATION} } ${FIP} } }`,
  disassociateFloatingIp: `mutation($input: FloatingIpActionInput!) { disassociateFloatingIp(input: $input) { operation { ${OPERATION} } ${FIP} } }`,
  releaseFloatingIp: `mutation($input: FloatingIpActionInput!) { releaseFloatingIp(input: $input) { operation { ${OPERATION} } ${FIP} } }`,
};

let keyCounter = 0;
const newKey = (label: string) => `${label}-${process.pid}-${Date.now().toString(36)}-${keyCounter++}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls operation(id) until it is final. */
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

/** Sends a mutation and returns its operation (failing the test on a GraphQL error). */
async function mutate(gw: TestGateway, name: keyof typeof M, input: Record<string, unknown>, token: string): Promise<any> {
  const res = await gw.query(M[name], { input }, token);
  expect(res.body.errors, JSON.stringify(res.body.errors)).toBeUndefined();
  return res.body.data[name].operation;
}

const postsOf = async (cloud: DemoCloud, service: 'nova' | 'cinder' | 'neutron', route: string) =>
  (await statsOf(cloud, service)).byRoute[route] ?? 0;

/** Sends a mutation and returns its whole payload (failing the test on a GraphQL error). */
async function payloadOf(gw: TestGateway, name: keyof typeof M, input: Record<string, unknown>, token: string): Promise<any> {
  const res = await gw.query(M[name], { input }, token);
  expect(res.body.errors, JSON.stringify(res.body.errors)).toBeUndefined();
  return res.body.data[name];
}

describe.skipIf(mongoSkipReason !== null)('mutations as operations', () => {
  let cloud: DemoCloud;
  let db: TestDb;
  let alice: string;
  let bob: string;
  let admin: string;
  const gateways: TestGateway[] = [];
  const mongo = () => ({ uri: mongoUri, database: db.db.databaseName });
  const start = async (runtime: (typeof RUNTIMES)[number], overrides: Record<string, unknown> = {}) => {
    const gw = await startTestGateway(cloud, runtime, { mongodb: mongo(), ...overrides });
    gateways.push(gw);
    return gw;
  };
  const image = () => cloud.cloud.images.find((i) => i.status === 'active' && i.visibility === 'public')!;
  const flavor = () => cloud.cloud.flavors[0];
  const serverNamed = (name: string) => cloud.cloud.servers.filter((s) => s.name === name);

  beforeAll(async () => {
    cloud = await startTestCloud();
    db = await openTestDb('gw_mutations');
    [alice, bob, admin] = (await Promise.all(['alice', 'bob', 'admin'].map((u) => issueToken(cloud, u)))).map((t) => t.token);
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

    it('creates, stops, starts, reboots and deletes an instance, each an operation that ends SUCCEEDED', async () => {
      const name = `mut-${runtime}-${keyCounter}`;
      const created = await mutate(
        gw,
        'createInstance',
        { idempotencyKey: newKey('create'), name, flavorId: flavor().id, imageId: image().id, metadata: { role: 'test' } },
        alice,
      );
      expect(created.kind).toBe('CREATE_INSTANCE');
      expect(['RUNNING', 'SUCCEEDED']).toContain(created.status);
      expect(created.requestedBy.userName).toBe('alice');
      const done = await settled(gw, created.id, alice);
      expect(done.status).toBe('SUCCEEDED');
      expect(done.target).toMatchObject({ __typename: 'Instance', instanceStatus: 'ACTIVE' });
      expect(done.finishedAt).not.toBeNull();
      const [server] = serverNamed(name);
      expect(server.status).toBe('ACTIVE');
      expect(server.metadata).toMatchObject({ role: 'test', 'mosaic-idempotency-key': created.idempotencyKey });
      const instanceId = done.target.id;

      const stopped = await settled(gw, (await mutate(gw, 'stopInstance', { idempotencyKey: newKey('stop'), instanceId }, alice)).id, alice);
      expect(stopped).toMatchObject({ status: 'SUCCEEDED', target: { instanceStatus: 'SHUTOFF' } });
      expect(server.status).toBe('SHUTOFF');

      const started = await settled(
        gw,
        (await mutate(gw, 'startInstance', { idempotencyKey: newKey('start'), instanceId: server.id }, alice)).id,
        alice,
      );
      expect(started).toMatchObject({ status: 'SUCCEEDED', target: { instanceStatus: 'ACTIVE' } });

      const rebooted = await settled(
        gw,
        (await mutate(gw, 'rebootInstance', { idempotencyKey: newKey('reboot'), instanceId, type: 'HARD' }, alice)).id,
        alice,
      );
      expect(rebooted).toMatchObject({ status: 'SUCCEEDED', kind: 'REBOOT_INSTANCE', target: { instanceStatus: 'ACTIVE' } });

      const deleted = await settled(gw, (await mutate(gw, 'deleteInstance', { idempotencyKey: newKey('delete'), instanceId }, alice)).id, alice);
      expect(deleted.status).toBe('SUCCEEDED');
      expect(deleted.target).toBeNull();
      expect(serverNamed(name)).toHaveLength(0);
    });

    it('stopping a stopped instance answers MOSAIC_ERR_CONFLICT with Nova’s message, recorded as a FAILED operation', async () => {
      const server = cloud.cloud.servers.find(
        (s) => s.status === 'ACTIVE' && cloud.cloud.projects.find((p) => p.id === s.projectId)?.name === 'web',
      )!;
      await settled(gw, (await mutate(gw, 'stopInstance', { idempotencyKey: newKey('stop1'), instanceId: server.id }, alice)).id, alice);
      const key = newKey('stop2');
      const res = await gw.query(M.stopInstance, { input: { idempotencyKey: key, instanceId: server.id } }, alice);
      expect(res.body.errors![0].extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        mosaicCode: 'MOSAIC_ERR_CONFLICT',
        service: 'nova',
        upstreamStatus: 409,
      });
      expect(res.body.errors![0].message).toContain('vm_state stopped');
      expect(res.body.errors![0].path).toEqual(['stopInstance']);
      const op = await settled(gw, res.body.errors![0].extensions.operationId, alice);
      expect(op).toMatchObject({ status: 'FAILED', error: { code: 'MOSAIC_ERR_CONFLICT' } });
      // The same key again answers the same error without calling Nova.
      const before = await postsOf(cloud, 'nova', 'POST /v2.1/servers/:id/action');
      const again = await gw.query(M.stopInstance, { input: { idempotencyKey: key, instanceId: server.id } }, alice);
      expect(again.body.errors![0].extensions.mosaicCode).toBe('MOSAIC_ERR_CONFLICT');
      expect(await postsOf(cloud, 'nova', 'POST /v2.1/servers/:id/action')).toBe(before);
      await settled(gw, (await mutate(gw, 'startInstance', { idempotencyKey: newKey('restart'), instanceId: server.id }, alice)).id, alice);
    });

    it('creates a Cinder volume, attaches it, detaches it and deletes it', async () => {
      const created = await settled(
        gw,
        (await mutate(gw, 'createDisk', { idempotencyKey: newKey('vol'), backend: 'CINDER', sizeGb: 3, name: `vol-${runtime}` }, alice)).id,
        alice,
      );
      expect(created).toMatchObject({ status: 'SUCCEEDED', target: { __typename: 'Disk', status: 'available', sizeGb: 3, backend: 'CINDER' } });
      const volume = cloud.cloud.volumes.find((v) => v.name === `vol-${runtime}`)!;
      expect(volume.status).toBe('available');
      const server = cloud.cloud.servers.find(
        (s) => s.status === 'ACTIVE' && cloud.cloud.projects.find((p) => p.id === s.projectId)?.name === 'web',
      )!;

      const attached = await settled(
        gw,
        (await mutate(gw, 'attachDisk', { idempotencyKey: newKey('att'), diskId: created.target.id, instanceId: server.id }, alice)).id,
        alice,
      );
      expect(attached).toMatchObject({ status: 'SUCCEEDED', target: { status: 'in-use' } });
      expect(volume.attachments.map((a) => a.serverId)).toEqual([server.id]);

      const detached = await settled(gw, (await mutate(gw, 'detachDisk', { idempotencyKey: newKey('det'), diskId: volume.id }, alice)).id, alice);
      expect(detached).toMatchObject({ status: 'SUCCEEDED', target: { status: 'available', device: null } });

      const deleted = await settled(
        gw,
        (await mutate(gw, 'deleteDisk', { idempotencyKey: newKey('del'), diskId: created.target.id }, alice)).id,
        alice,
      );
      expect(deleted.status).toBe('SUCCEEDED');
      expect(cloud.cloud.volumes.some((v) => v.id === volume.id)).toBe(false);
    });

    it('creates a legacy disk on a zone’s storage pool (administrators only)', async () => {
      const zone = cloud.cloud.zones[0];
      const input = { idempotencyKey: newKey('legacy'), backend: 'LEGACY', sizeGb: 20, zone: zone.name, volumeType: 'sata' };
      const denied = await gw.query(M.createDisk, { input }, alice);
      expect(denied.body.errors![0].extensions.mosaicCode).toBe('MOSAIC_ERR_ADMIN_ONLY');
      const op = await mutate(gw, 'createDisk', input, admin);
      expect(op).toMatchObject({ status: 'SUCCEEDED', target: { __typename: 'Disk', backend: 'LEGACY', sizeGb: 20 } });
      const storageIds = new Set(cloud.cloud.storages.filter((s) => s.zoneId === zone.id).map((s) => s.id));
      expect(cloud.cloud.legacyDisks.filter((d) => d.sizeGb === 20 && d.type === 'sata' && storageIds.has(d.storageId)).length).toBeGreaterThan(0);
    });

    it('a build with no valid host ends FAILED with Nova’s fault', async () => {
      const zone = cloud.cloud.zones[cloud.cloud.zones.length - 1];
      const hosts = cloud.cloud.hosts.filter((h) => h.zoneId === zone.id);
      const saved = hosts.map((h) => h.status);
      hosts.forEach((h) => (h.status = 0));
      try {
        const op = await mutate(
          gw,
          'createInstance',
          { idempotencyKey: newKey('nvh'), name: `nvh-${runtime}`, flavorId: flavor().id, imageId: image().id, zone: zone.name },
          alice,
        );
        const done = await settled(gw, op.id, alice);
        expect(done.status).toBe('FAILED');
        expect(done.error.code).toBe('MOSAIC_ERR_UPSTREAM_STATUS');
        expect(done.error.upstreamMessage).toContain('No valid host was found');
        expect(done.target).toMatchObject({ __typename: 'Instance', instanceStatus: 'ERROR' });
      } finally {
        hosts.forEach((h, i) => (h.status = saved[i] as 0 | 1 | 2));
      }
    });

    it('allocates a floating IP, associates it with an instance’s port, disassociates and releases it, each SUCCEEDED at once', async () => {
      const web = cloud.cloud.users.find((u) => u.name === 'alice')!.projectId;
      // An instance of Alice's project whose first port (Neutron's order: by id) has no floating IP yet.
      const firstPort = (serverId: string) => cloud.cloud.ports.filter((p) => p.deviceId === serverId).sort((a, b) => (a.id < b.id ? -1 : 1))[0];
      const server = cloud.cloud.servers.find(
        (s) =>
          s.projectId === web && s.status === 'ACTIVE' && firstPort(s.id) && !cloud.cloud.floatingIps.some((f) => f.portId === firstPort(s.id).id),
      )!;
      expect(server).toBeDefined();
      const allocated = await payloadOf(gw, 'allocateFloatingIp', { idempotencyKey: newKey('fip') }, alice);
      expect(allocated.operation).toMatchObject({ kind: 'ALLOCATE_FLOATING_IP', status: 'SUCCEEDED', finishedAt: expect.any(String) });
      expect(allocated.floatingIp).toMatchObject({ address: expect.any(String), fixedIpAddress: null, port: null });
      const fip = cloud.cloud.floatingIps.find((f) => f.address === allocated.floatingIp.address)!;
      expect(fip).toMatchObject({ projectId: web, portId: null });
      expect(cloud.cloud.networks.find((n) => n.id === fip.floatingNetworkId)?.external).toBe(true);

      const associated = await payloadOf(
        gw,
        'associateFloatingIp',
        { idempotencyKey: newKey('assoc'), floatingIpId: allocated.floatingIp.id, instanceId: server.id },
        alice,
      );
      const port = firstPort(server.id);
      expect(associated.operation).toMatchObject({ kind: 'ASSOCIATE_FLOATING_IP', status: 'SUCCEEDED' });
      expect(associated.floatingIp).toMatchObject({ fixedIpAddress: port.fixedIps[0].ipAddress, status: 'ACTIVE' });
      expect(fip.portId).toBe(port.id);
      // The instance shows it, through Nova's addresses and Neutron alike.
      const seen = await gw.query(`query($id: ID!) { instance(id: $id) { floatingIps { address } } }`, { id: server.id }, alice);
      expect(seen.body.data.instance.floatingIps.map((f: any) => f.address)).toContain(fip.address);

      const disassociated = await payloadOf(gw, 'disassociateFloatingIp', { idempotencyKey: newKey('disassoc'), floatingIpId: fip.id }, alice);
      expect(disassociated).toMatchObject({ operation: { status: 'SUCCEEDED' }, floatingIp: { fixedIpAddress: null, port: null } });
      expect(fip.portId).toBeNull();

      const released = await payloadOf(gw, 'releaseFloatingIp', { idempotencyKey: newKey('release'), floatingIpId: allocated.floatingIp.id }, alice);
      expect(released).toMatchObject({ operation: { kind: 'RELEASE_FLOATING_IP', status: 'SUCCEEDED', target: null }, floatingIp: null });
      expect(cloud.cloud.floatingIps).not.toContain(fip);
    });

    it('associating a floating IP with an instance whose fixed IP already has one answers MOSAIC_ERR_CONFLICT, recorded FAILED', async () => {
      const held = cloud.cloud.floatingIps.find((f) => f.portId && f.projectId === cloud.cloud.users.find((u) => u.name === 'alice')!.projectId)!;
      const instanceId = cloud.cloud.ports.find((p) => p.id === held.portId)!.deviceId;
      // Neutron associates with the instance's first port (by id): make sure that is the one holding `held`.
      const first = cloud.cloud.ports.filter((p) => p.deviceId === instanceId).sort((a, b) => (a.id < b.id ? -1 : 1))[0];
      expect(first.id).toBe(held.portId);
      const spare = await payloadOf(gw, 'allocateFloatingIp', { idempotencyKey: newKey('spare') }, alice);
      const input = { idempotencyKey: newKey('clash'), floatingIpId: spare.floatingIp.id, instanceId };
      const res = await gw.query(M.associateFloatingIp, { input }, alice);
      const err = res.body.errors![0];
      expect(err.extensions).toMatchObject({ code: 'BAD_USER_INPUT', mosaicCode: 'MOSAIC_ERR_CONFLICT', service: 'neutron', upstreamStatus: 409 });
      expect(err.message).toContain('already has a floating IP');
      expect(err.path).toEqual(['associateFloatingIp']);
      expect(await settled(gw, err.extensions.operationId, alice)).toMatchObject({ status: 'FAILED', error: { code: 'MOSAIC_ERR_CONFLICT' } });
      expect(cloud.cloud.floatingIps.find((f) => f.address === spare.floatingIp.address)?.portId).toBeNull();
      await payloadOf(gw, 'releaseFloatingIp', { idempotencyKey: newKey('spare-rel'), floatingIpId: spare.floatingIp.id }, alice);
    });

    it('deleteHost is for administrators; a host with instances is a conflict naming them; an empty host is deleted', async () => {
      const busy = cloud.cloud.hosts.find((h) => cloud.cloud.servers.some((s) => s.host === h.hostname))!;
      const hostId = Buffer.from(`Host:${busy.id}`).toString('base64url');
      const denied = await gw.query(M.deleteHost, { input: { idempotencyKey: newKey('h0'), hostId } }, alice);
      expect(denied.body.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN', mosaicCode: 'MOSAIC_ERR_ADMIN_ONLY' });
      const res = await gw.query(M.deleteHost, { input: { idempotencyKey: newKey('h1'), hostId } }, admin);
      const err = res.body.errors![0];
      expect(err.extensions).toMatchObject({ code: 'BAD_USER_INPUT', mosaicCode: 'MOSAIC_ERR_CONFLICT', service: 'legacy', upstreamStatus: 409001 });
      const one = cloud.cloud.servers.find((s) => s.host === busy.hostname)!;
      expect(err.message).toContain(one.name);
      expect(cloud.cloud.hosts).toContain(busy);

      const empty = cloud.cloud.hosts.find((h) => !cloud.cloud.servers.some((s) => s.host === h.hostname));
      if (empty) {
        const op = await mutate(
          gw,
          'deleteHost',
          { idempotencyKey: newKey('h2'), hostId: Buffer.from(`Host:${empty.id}`).toString('base64url') },
          admin,
        );
        expect(op.status).toBe('SUCCEEDED');
        expect(cloud.cloud.hosts).not.toContain(empty);
      }
    });
  });

  describe('exactly once', () => {
    let gw: TestGateway;
    beforeAll(async () => {
      gw = await start('mercurius');
    });

    it('five concurrent createInstance with one key make one Nova POST and return one operation', async () => {
      const input = { idempotencyKey: newKey('dup'), name: `dup-${keyCounter}`, flavorId: flavor().id, imageId: image().id };
      const before = await postsOf(cloud, 'nova', 'POST /v2.1/servers');
      const answers = await Promise.all(Array.from({ length: 5 }, () => gw.query(M.createInstance, { input }, alice)));
      for (const a of answers) expect(a.body.errors).toBeUndefined();
      const ids = new Set(answers.map((a) => a.body.data.createInstance.operation.id));
      expect(ids.size).toBe(1);
      expect(await postsOf(cloud, 'nova', 'POST /v2.1/servers')).toBe(before + 1);
      expect((await settled(gw, [...ids][0], alice)).status).toBe('SUCCEEDED');
      expect(serverNamed(input.name)).toHaveLength(1);
    });

    it('allocateFloatingIp replayed with its key, also concurrently, returns the first operation and makes one Neutron POST', async () => {
      const input = { idempotencyKey: newKey('fip-dup') };
      const before = await postsOf(cloud, 'neutron', 'POST /v2.0/floatingips');
      const answers = await Promise.all(Array.from({ length: 4 }, () => gw.query(M.allocateFloatingIp, { input }, alice)));
      for (const a of answers) expect(a.body.errors).toBeUndefined();
      const again = await payloadOf(gw, 'allocateFloatingIp', input, alice);
      const ids = new Set([...answers.map((a) => a.body.data.allocateFloatingIp.operation.id), again.operation.id]);
      expect(ids.size).toBe(1);
      expect(await postsOf(cloud, 'neutron', 'POST /v2.0/floatingips')).toBe(before + 1);
      // Replays answered while the first was still being sent carry no floating IP yet; the one after it does.
      expect(cloud.cloud.floatingIps.filter((f) => f.address === again.floatingIp.address)).toHaveLength(1);
      await payloadOf(gw, 'releaseFloatingIp', { idempotencyKey: newKey('fip-dup-rel'), floatingIpId: again.floatingIp.id }, alice);
    });

    it('an allocation past the project’s floating-IP quota answers MOSAIC_ERR_OVER_QUOTA', async () => {
      const ml = cloud.cloud.users.find((u) => u.name === 'bob')!.projectId;
      const template = cloud.cloud.floatingIps[0];
      const filler = Array.from({ length: 50 - cloud.cloud.floatingIps.filter((f) => f.projectId === ml).length }, (_, i) => ({
        ...template,
        id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
        projectId: ml,
        address: `203.0.113.${i}`,
        portId: null,
        fixedIpAddress: null,
      }));
      cloud.cloud.floatingIps.push(...filler);
      try {
        const res = await gw.query(M.allocateFloatingIp, { input: { idempotencyKey: newKey('quota') } }, bob);
        expect(res.body.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN', mosaicCode: 'MOSAIC_ERR_OVER_QUOTA', service: 'neutron' });
      } finally {
        for (const f of filler) cloud.cloud.floatingIps.splice(cloud.cloud.floatingIps.indexOf(f), 1);
      }
    });

    it('a reused key with different input is refused with MOSAIC_ERR_IDEMPOTENCY_MISMATCH', async () => {
      const key = newKey('reuse');
      const first = await mutate(gw, 'createDisk', { idempotencyKey: key, backend: 'CINDER', sizeGb: 1 }, alice);
      const res = await gw.query(M.createDisk, { input: { idempotencyKey: key, backend: 'CINDER', sizeGb: 2 } }, alice);
      expect(res.body.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', mosaicCode: 'MOSAIC_ERR_IDEMPOTENCY_MISMATCH' });
      // The same input under the key is the first operation again; another project's identical key is its own.
      expect((await mutate(gw, 'createDisk', { idempotencyKey: key, backend: 'CINDER', sizeGb: 1 }, alice)).id).toBe(first.id);
      expect((await mutate(gw, 'createDisk', { idempotencyKey: key, backend: 'CINDER', sizeGb: 1 }, bob)).id).not.toBe(first.id);
    });

    it('a create whose answer timed out ends SUCCEEDED from the key in the server’s metadata, without a second POST', async () => {
      const slow = await start('apollo', { upstreams: { nova: { timeoutMs: 300 } } });
      const input = { idempotencyKey: newKey('slow'), name: `slow-${keyCounter}`, flavorId: flavor().id, imageId: image().id };
      // Nova's version document is read once per gateway, before the first call: read it now, so the slowness below
      // hits the POST itself (a create that Nova performs but whose answer is lost), not the discovery before it.
      expect((await slow.query('{ instances(first: 1) { nodes { id } } }', {}, alice)).body.errors).toBeUndefined();
      const before = await postsOf(cloud, 'nova', 'POST /v2.1/servers');
      cloud.setFaults('nova', { latencyMs: 700 });
      let op;
      try {
        op = await mutate(slow, 'createInstance', input, alice);
      } finally {
        cloud.setFaults('nova', { latencyMs: 0 });
      }
      expect(op.status).toBe('RUNNING');
      const done = await settled(slow, op.id, alice);
      expect(done.status).toBe('SUCCEEDED');
      expect(done.target).toMatchObject({ __typename: 'Instance', instanceStatus: 'ACTIVE' });
      expect(await postsOf(cloud, 'nova', 'POST /v2.1/servers')).toBe(before + 1);
      expect(serverNamed(input.name)).toHaveLength(1);
    });

    it('an operation left running by a closed gateway is finished by the next one on the same database', async () => {
      const first = await start('mercurius');
      const name = `resume-${keyCounter}`;
      const saved = cloud.cloud.asyncDelayMs;
      cloud.cloud.asyncDelayMs = 1_500;
      let op;
      try {
        op = await mutate(first, 'createInstance', { idempotencyKey: newKey('resume'), name, flavorId: flavor().id, imageId: image().id }, alice);
      } finally {
        cloud.cloud.asyncDelayMs = saved;
      }
      await first.close();
      gateways.splice(gateways.indexOf(first), 1);
      const stored = await db.db.collection('operations').findOne({ idempotencyKey: op.idempotencyKey });
      expect(stored?.status).toBe('RUNNING');
      // The next gateway resumes it at start-up with its service account (an administrator here).
      const adminProject = cloud.cloud.projects.find((p) => p.id === cloud.cloud.users.find((u) => u.name === 'admin')!.projectId)!.name;
      const next = await start('apollo', { keystone: { serviceUser: 'admin', servicePassword: 'admin', serviceProject: adminProject } });
      const until = Date.now() + 15_000;
      while ((await db.db.collection('operations').findOne({ idempotencyKey: op.idempotencyKey }))?.status !== 'SUCCEEDED') {
        if (Date.now() > until) throw new Error('not resumed');
        await sleep(50);
      }
      expect((await settled(next, op.id, alice)).target).toMatchObject({ instanceStatus: 'ACTIVE' });
      expect(serverNamed(name)).toHaveLength(1);
    });
  });

  describe('the mutation workloads (test/fixtures/mutations/, run by bench:operations)', () => {
    const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'mutations');
    const doc = (file: string) => fs.readFileSync(path.join(dir, file), 'utf8');

    it.each(RUNTIMES)('create-and-wait, attach-disk and delete-instance run as their header comments describe (%s)', async (runtime) => {
      const gw = await start(runtime);
      const send = async (file: string, operationName: string, variables: Record<string, unknown>) => {
        const res = await fetch(gw.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-auth-token': alice },
          body: JSON.stringify({ query: doc(file), operationName, variables }),
        });
        const body = (await res.json()) as any;
        expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
        return body.data;
      };
      const wait = async (id: string) => {
        const until = Date.now() + 15_000;
        for (;;) {
          const op = (await send('create-and-wait.graphql', 'OperationStatus', { id })).operation;
          if (op.status === 'SUCCEEDED' || op.status === 'FAILED') return op;
          if (Date.now() > until) throw new Error(`operation ${id} not final`);
          await sleep(50);
        }
      };
      expect(fs.readdirSync(dir).sort()).toEqual(['attach-disk.graphql', 'create-and-wait.graphql', 'delete-instance.graphql']);
      const name = `fixture-${keyCounter}`;
      const created = (
        await send('create-and-wait.graphql', 'CreateInstance', {
          input: { idempotencyKey: newKey('fx'), name, flavorId: flavor().id, imageId: image().id },
        })
      ).createInstance.operation;
      expect(await wait(created.id)).toMatchObject({ status: 'SUCCEEDED', target: { status: 'ACTIVE' } });
      const [server] = serverNamed(name);

      const volume = (
        await send('attach-disk.graphql', 'CreateVolume', {
          input: { idempotencyKey: newKey('fx-vol'), backend: 'CINDER', sizeGb: 1, name: `${name}-vol` },
        })
      ).createDisk.operation;
      expect((await wait(volume.id)).status).toBe('SUCCEEDED');
      const attach = (
        await send('attach-disk.graphql', 'AttachDisk', {
          input: { idempotencyKey: newKey('fx-att'), diskId: volume.target.id, instanceId: created.target.id },
        })
      ).attachDisk.operation;
      expect(await wait(attach.id)).toMatchObject({ status: 'SUCCEEDED', target: { diskStatus: 'in-use' } });
      const vol = cloud.cloud.volumes.find((v) => v.name === `${name}-vol`)!;
      expect(vol.attachments.map((a) => a.serverId)).toEqual([server.id]);

      const del = (
        await send('delete-instance.graphql', 'DeleteInstance', { input: { idempotencyKey: newKey('fx-del'), instanceId: created.target.id } })
      ).deleteInstance.operation;
      expect((await wait(del.id)).status).toBe('SUCCEEDED');
      expect(serverNamed(name)).toEqual([]);
      expect(vol).toMatchObject({ status: 'available', attachments: [] });
    });
  });

  describe('visibility and audit', () => {
    let gw: TestGateway;
    let aliceOp: any;
    beforeAll(async () => {
      gw = await start('apollo');
      aliceOp = await mutate(gw, 'createDisk', { idempotencyKey: newKey('vis'), backend: 'CINDER', sizeGb: 1, name: 'alice-secret-vol' }, alice);
    });

    it('a member cannot see another project’s operations; an administrator can', async () => {
      const one = `query($id: ID!) { operation(id: $id) { id } node(id: $id) { id } }`;
      expect((await gw.query(one, { id: aliceOp.id }, bob)).body.data).toEqual({ operation: null, node: null });
      expect((await gw.query(one, { id: aliceOp.id }, alice)).body.data.operation.id).toBe(aliceOp.id);
      expect((await gw.query(one, { id: aliceOp.id }, admin)).body.data.node.id).toBe(aliceOp.id);
      const list = `{ operations(first: 100) { nodes { id requestedBy { projectId } } } }`;
      const bobs = (await gw.query(list, {}, bob)).body.data.operations.nodes;
      expect(bobs.map((o: any) => o.id)).not.toContain(aliceOp.id);
      expect((await gw.query(list, {}, alice)).body.data.operations.nodes.map((o: any) => o.id)).toContain(aliceOp.id);
      const other = await gw.query(`{ operations(filter: { projectId: "${aliceOp.requestedBy.projectId}" }) { nodes { id } } }`, {}, bob);
      expect(other.body.errors![0].extensions.mosaicCode).toBe('MOSAIC_ERR_ADMIN_ONLY');
    });

    it('the audit log records every attempt, for administrators only', async () => {
      const key = newKey('audit');
      await gw.query(M.createDisk, { input: { idempotencyKey: key, backend: 'CINDER', sizeGb: 0 } }, alice);
      const q = `{ auditLog(first: 100) { edges { node { mutation outcome userName projectId idempotencyKey input errorCode durationMs operation { id } } } } }`;
      expect((await gw.query(q, {}, alice)).body.errors![0].extensions.mosaicCode).toBe('MOSAIC_ERR_ADMIN_ONLY');
      const entries = (await gw.query(q, {}, admin)).body.data.auditLog.edges.map((e: any) => e.node);
      expect(entries.find((e: any) => e.idempotencyKey === key)).toMatchObject({
        mutation: 'createDisk',
        outcome: 'refused',
        userName: 'alice',
        errorCode: 'MOSAIC_ERR_BAD_ARGUMENT',
      });
      expect(entries.find((e: any) => e.idempotencyKey === aliceOp.idempotencyKey)).toMatchObject({
        outcome: 'accepted',
        operation: { id: aliceOp.id },
      });
      expect(entries.find((e: any) => e.idempotencyKey === aliceOp.idempotencyKey)!.input).toEqual({
        backend: 'CINDER',
        sizeGb: 1,
        name: 'alice-secret-vol',
      });
    });

    it('without MongoDB a mutation answers MOSAIC_ERR_WRITES_OFF and changes nothing', async () => {
      const plain = await startTestGateway(cloud, 'mercurius');
      gateways.push(plain);
      const before = await postsOf(cloud, 'cinder', 'POST /v3/:project_id/volumes');
      const res = await plain.query(M.createDisk, { input: { idempotencyKey: newKey('off'), backend: 'CINDER', sizeGb: 1 } }, alice);
      expect(res.body.errors![0].extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', mosaicCode: 'MOSAIC_ERR_WRITES_OFF' });
      expect(await postsOf(cloud, 'cinder', 'POST /v3/:project_id/volumes')).toBe(before);
    });
  });
});
