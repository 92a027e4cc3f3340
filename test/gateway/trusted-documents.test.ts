// Trusted documents: persisted operations named by their SHA-256 (`documentId`, or Apollo's APQ extension), APQ
// registration for development (security.apq), and enforce mode (security.trustedOperations) where only
// registered documents run — the registry in MongoDB, shared by replicas, filled by the build step
// (`mosaic operations register`) or by administrators (`registerOperation`). Both runtimes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { issueToken, startTestCloud, type DemoCloud } from '../helpers/cloud.ts';
import { RUNTIMES, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { mongoSkipReason, mongoUri, openTestDb, type TestDb } from '../helpers/mongo.ts';
import { documentId } from '../../datasources/persisted/document-store.ts';
import { readOperations, registerOperations } from '../../server/register-operations.ts';
import { validateConfig } from '../../core/config.ts';

const VIEWER = 'query Me { viewer { userName } }';
const apq = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });

async function send(gw: TestGateway, body: Record<string, unknown>, token?: string) {
  const res = await fetch(gw.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { 'x-auth-token': token } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}
const codes = (body: any) => (body.errors ?? []).map((e: any) => e.extensions.mosaicCode);

describe.each(RUNTIMES)('automatic persisted queries on %s', (runtime) => {
  let cloud: DemoCloud;
  let dev: TestGateway;
  let prod: TestGateway;
  let alice: string;
  beforeAll(async () => {
    cloud = await startTestCloud();
    dev = await startTestGateway(cloud, runtime, { security: { apq: true } });
    prod = await startTestGateway(cloud, runtime);
    alice = (await issueToken(cloud, 'alice')).token;
  });
  afterAll(async () => {
    await dev?.close();
    await prod?.close();
    await cloud?.close();
  });

  it('answers an unknown hash as Apollo does, registers the text sent with it, then runs it by hash alone', async () => {
    const hash = documentId(VIEWER);
    const unknown = await send(dev, { extensions: apq(hash) }, alice);
    expect(unknown.status).toBe(200);
    expect(unknown.body.errors[0]).toMatchObject({
      message: 'PersistedQueryNotFound',
      extensions: { mosaicCode: 'MOSAIC_ERR_PERSISTED_QUERY_NOT_FOUND' },
    });
    const registered = await send(dev, { query: VIEWER, extensions: apq(hash) }, alice);
    expect(registered.body).toEqual({ data: { viewer: { userName: 'alice' } } });
    expect((await send(dev, { extensions: apq(hash) }, alice)).body).toEqual({ data: { viewer: { userName: 'alice' } } });
    // Over GET too (with the token, which also satisfies the CSRF rule).
    const url = `${dev.url}?extensions=${encodeURIComponent(JSON.stringify(apq(hash)))}`;
    const get = await fetch(url, { headers: { 'x-auth-token': alice } });
    expect(await get.json()).toEqual({ data: { viewer: { userName: 'alice' } } });
    // documentId names the same registry.
    expect((await send(dev, { documentId: `sha256:${hash}` }, alice)).body).toEqual({ data: { viewer: { userName: 'alice' } } });
  });

  it('refuses a hash that is not the text’s, and malformed ids', async () => {
    const wrong = await send(dev, { query: VIEWER, extensions: apq(documentId('{ __typename }')) }, alice);
    expect(wrong.status).toBe(400);
    expect(codes(wrong.body)).toEqual(['MOSAIC_ERR_BAD_REQUEST']);
    expect(codes((await send(dev, { documentId: 'md5:abc' }, alice)).body)).toEqual(['MOSAIC_ERR_BAD_REQUEST']);
    expect(codes((await send(dev, { extensions: { persistedQuery: { version: 2, sha256Hash: documentId(VIEWER) } } }, alice)).body)).toEqual([
      'MOSAIC_ERR_BAD_REQUEST',
    ]);
  });

  it('runs text sent with its hash without registering it when APQ is off', async () => {
    const query = '{ viewer { isAdmin } }';
    const hash = documentId(query);
    expect((await send(prod, { query, extensions: apq(hash) }, alice)).body).toEqual({ data: { viewer: { isAdmin: false } } });
    expect(codes((await send(prod, { extensions: apq(hash) }, alice)).body)).toEqual(['MOSAIC_ERR_PERSISTED_QUERY_NOT_FOUND']);
  });
});

describe('configuration of trusted documents', () => {
  it('refuses enforce mode without MongoDB, and APQ together with enforce', () => {
    expect(() => validateConfig({ security: { trustedOperations: 'enforce' } })).toThrow(/needs "mongodb.uri"/);
    expect(() => validateConfig({ security: { trustedOperations: 'enforce', apq: true }, mongodb: { uri: 'mongodb://x' } })).toThrow(
      /"security.apq" must be false/,
    );
  });

  it('reads Apollo manifests, persisted-documents maps and .graphql files, and refuses an id that is not the hash', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-ops-'));
    const manifest = path.join(dir, 'manifest.json');
    fs.writeFileSync(
      manifest,
      JSON.stringify({
        format: 'apollo-persisted-query-manifest',
        version: 1,
        operations: [{ id: documentId(VIEWER), name: 'Me', type: 'query', body: VIEWER }],
      }),
    );
    expect(readOperations(manifest)).toEqual([{ id: documentId(VIEWER), name: 'Me', document: VIEWER }]);
    const map = path.join(dir, 'persisted-documents.json');
    fs.writeFileSync(map, JSON.stringify({ [documentId('{ __typename }')]: '{ __typename }' }));
    expect(readOperations(map)).toEqual([{ id: documentId('{ __typename }'), name: null, document: '{ __typename }' }]);
    const file = path.join(dir, 'zones.graphql');
    fs.writeFileSync(file, 'query Zones { zones { name } }\n');
    expect(readOperations(file)[0]).toMatchObject({ id: documentId('query Zones { zones { name } }\n'), name: 'Zones' });
    fs.writeFileSync(map, JSON.stringify({ abc: '{ __typename }' }));
    expect(() => readOperations(map)).toThrow(/not the SHA-256 of its text/);
    fs.rmSync(dir, { recursive: true });
  });
});

describe.skipIf(mongoSkipReason !== null).each(RUNTIMES)('enforced trusted documents in MongoDB on %s', (runtime) => {
  let cloud: DemoCloud;
  let t: TestDb;
  let gw: TestGateway;
  let replica: TestGateway;
  let admin: string;
  let alice: string;
  beforeAll(async () => {
    cloud = await startTestCloud();
    t = await openTestDb(`trusted_${runtime}`);
    const overrides = { security: { trustedOperations: 'enforce' }, mongodb: { uri: mongoUri, database: t.db.databaseName } };
    gw = await startTestGateway(cloud, runtime, overrides);
    replica = await startTestGateway(cloud, runtime, overrides);
    admin = (await issueToken(cloud, 'admin')).token;
    alice = (await issueToken(cloud, 'alice')).token;
  });
  afterAll(async () => {
    await gw?.close();
    await replica?.close();
    await t?.close();
    await cloud?.close();
  });

  it('runs only registered documents for members; administrators register them and may run any', async () => {
    const refused = await send(gw, { query: VIEWER }, alice);
    expect(refused.status).toBe(400);
    expect(codes(refused.body)).toEqual(['MOSAIC_ERR_UNTRUSTED_OPERATION']);
    expect(
      codes(
        (await send(gw, { query: 'mutation R($d: String!) { registerOperation(document: $d) { documentId } }', variables: { d: VIEWER } }, alice))
          .body,
      ),
    ).toEqual(['MOSAIC_ERR_UNTRUSTED_OPERATION']);

    const registration = await send(
      gw,
      { query: 'mutation R($d: String!) { registerOperation(document: $d) { documentId name created } }', variables: { d: VIEWER } },
      admin,
    );
    expect(registration.body.data.registerOperation).toEqual({ documentId: `sha256:${documentId(VIEWER)}`, name: 'Me', created: true });
    const again = await send(
      gw,
      { query: 'mutation R($d: String!) { registerOperation(document: $d) { created } }', variables: { d: VIEWER } },
      admin,
    );
    expect(again.body.data.registerOperation).toEqual({ created: false });

    // By id, on either replica (one registry), and as the registered text itself.
    expect((await send(replica, { documentId: `sha256:${documentId(VIEWER)}` }, alice)).body).toEqual({ data: { viewer: { userName: 'alice' } } });
    expect((await send(gw, { query: VIEWER }, alice)).body).toEqual({ data: { viewer: { userName: 'alice' } } });
    const rows = await t.db.collection('persisted_operations').find().toArray();
    expect(rows.map((r) => [r._id, r.name, r.registeredBy])).toEqual([[documentId(VIEWER), 'Me', 'admin']]);
  });

  it('refuses to register a document that is not valid against the schema', async () => {
    const { body } = await send(
      gw,
      { query: 'mutation R($d: String!) { registerOperation(document: $d) { created } }', variables: { d: '{ zones { nmae } }' } },
      admin,
    );
    expect(body.errors[0].extensions.mosaicCode).toBe('MOSAIC_ERR_BAD_ARGUMENT');
    expect(body.errors[0].message).toMatch(/^document: Cannot query field "nmae"/);
  });

  it('takes the build step’s registrations (mosaic operations register)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-ops-'));
    const file = path.join(dir, 'zones.graphql');
    const text = 'query Zones { zones { name } }\n';
    fs.writeFileSync(file, text);
    const config = validateConfig({ mongodb: { uri: mongoUri, database: t.db.databaseName } });
    const lines: string[] = [];
    expect(await registerOperations(config, [file], (l) => lines.push(l))).toBe(1);
    expect(lines.at(-1)).toBe('1 operations, 1 new');
    const { body } = await send(gw, { documentId: documentId(text) }, admin);
    expect(body.data.zones.length).toBe(cloud.cloud.zones.length);
    fs.rmSync(dir, { recursive: true });
  });
});
