// Plans by expected time on real emulator traffic, and explain (`x-mosaic-explain: 1`, server/explain.ts): an
// instance's few volumes and its one project are fetched by id instead of the whole lists, an administrator who
// asks sees the candidate plans, the choice and calls that match what the emulators recorded, and nobody else
// ever sees a plan.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken, startTestCloud, statsOf, type DemoCloud } from '../helpers/cloud.ts';
import { RUNTIMES, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { toGlobalId } from '../../resolvers/global-id.ts';
import { SERVICE_NAMES } from '../../subgraphs/demo-cloud.ts';

const INSTANCE_DETAIL = readFileSync(new URL('../fixtures/queries/instance-detail.graphql', import.meta.url), 'utf8').replace(
  /^\s*metrics\(.*\n/gm,
  '',
);

/** The query's own upstream requests: revocation-event polls and version documents are background work. */
const own = (r: string) => !r.startsWith('GET /v3/OS-REVOKE/') && !/^GET \/(versions)?$/.test(r) && r !== 'GET /v3/auth/tokens';

async function post(gw: TestGateway, token: string | undefined, variables: Record<string, unknown>, explain: boolean) {
  const res = await fetch(gw.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { 'x-auth-token': token } : {}),
      ...(explain ? { 'x-mosaic-explain': '1' } : {}),
    },
    body: JSON.stringify({ query: INSTANCE_DETAIL, variables }),
  });
  return { status: res.status, body: (await res.json()) as any };
}

let cloud: DemoCloud;
beforeAll(async () => {
  cloud = await startTestCloud({ size: 'small' });
}, 30_000);
afterAll(() => cloud?.close());

describe.each(RUNTIMES)('plans by expected time, explained, on %s', (runtime) => {
  let gw: TestGateway;
  let admin: string;
  let alice: string;
  /** An instance of alice's project with Cinder volumes attached. */
  let server: DemoCloud['cloud']['servers'][number];
  let volumeIds: string[];
  beforeAll(async () => {
    gw = await startTestGateway(cloud, runtime);
    [admin, alice] = (await Promise.all([issueToken(cloud, 'admin'), issueToken(cloud, 'alice')])).map((t) => t.token);
    const aliceProject = cloud.cloud.users.find((u) => u.name === 'alice')!.projectId;
    server = cloud.cloud.servers.find(
      (s) => s.projectId === aliceProject && s.status !== 'DELETED' && cloud.cloud.volumes.some((v) => v.attachments[0]?.serverId === s.id),
    )!;
    volumeIds = cloud.cloud.volumes.filter((v) => v.attachments[0]?.serverId === server.id).map((v) => v.id);
    // A warm-up, as any running gateway has had: version documents read, sizes and timings learned.
    await post(gw, admin, { id: toGlobalId('Instance', server.id) }, false);
  });
  afterAll(() => gw?.close());

  const run = async (token: string | undefined, explain: boolean) => {
    cloud.resetStats();
    const result = await post(gw, token, { id: toGlobalId('Instance', server.id) }, explain);
    const stats = await Promise.all(SERVICE_NAMES.map((s) => statsOf(cloud, s)));
    const requests = Object.fromEntries(SERVICE_NAMES.map((s, i) => [s, stats[i].requests.filter(own)]));
    return { ...result, requests };
  };

  it("fetches instance-detail's few volumes and its one project by id, not the all-tenants lists", async () => {
    const { status, body, requests } = await run(admin, false);
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data.instance.disks.filter((d: any) => d.backend === 'CINDER').map((d: any) => d.id)).toHaveLength(volumeIds.length);
    expect(requests.cinder.filter((r) => /\/volumes\/detail/.test(r))).toEqual([]);
    expect(requests.cinder.map((r) => r.replace(/\?.*$/, '').split('/').pop()).sort()).toEqual([...volumeIds].sort());
    expect(requests.keystone).toEqual([`GET /v3/projects/${server.projectId}`]);
    expect(requests.nova.filter((r) => /servers\/detail/.test(r))).toEqual([]);
    expect(body.extensions).toBeUndefined();
  });

  it('gives an administrator who asks the plan of every planned batch, with calls that match the emulators', async () => {
    const { status, body, requests } = await run(admin, true);
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const plan = body.extensions.mosaic.plan;
    const disks = plan.batches.find((b: any) => b.loader === 'cinderDisksByInstance');
    expect(disks).toMatchObject({ service: 'cinder', chosen: 'per-id' });
    expect(disks.candidates.map((c: any) => c.name)).toEqual(['per-id', 'all-volumes', 'zone-lists']);
    for (const c of disks.candidates) {
      expect(Object.keys(c).sort()).toEqual(['bytes', 'calls', 'expectedMs', 'name', 'records', 'rounds']);
      expect(c.expectedMs).toBeGreaterThan(0);
    }
    const [perId, allVolumes] = disks.candidates;
    expect(perId).toMatchObject({ calls: volumeIds.length, rounds: 1, records: volumeIds.length });
    // A list never fetched here is priced at one full page (cost-model.ts UNKNOWN_LIST_RECORDS).
    expect(allVolumes.records).toBeGreaterThan(perId.records);
    expect(perId.expectedMs).toBeLessThan(allVolumes.expectedMs);
    expect(disks.actual.calls).toBe(requests.cinder.length);
    expect(disks.actual.bytes).toBeGreaterThan(0);
    const project = plan.batches.find((b: any) => b.loader === 'project');
    expect(project).toMatchObject({ service: 'keystone', chosen: 'per-id', actual: { calls: 1 } });
    // Request totals: every upstream call the query made, by upstream, as the emulators counted them.
    for (const service of SERVICE_NAMES) {
      expect(plan.totals.byUpstream[service]?.calls ?? 0, service).toBe(requests[service].length);
    }
    expect(plan.totals.calls).toBe(SERVICE_NAMES.reduce((n, s) => n + requests[s].length, 0));
    expect(plan.totals.bytes).toBe(Object.values<any>(plan.totals.byUpstream).reduce((n, u) => n + u.bytes, 0));
    expect(plan.totals.elapsedMs).toBeGreaterThan(0);
  });

  it('never shows a plan to a member or an anonymous caller, whatever the header says', async () => {
    const member = await run(alice, true);
    expect(member.status).toBe(200);
    expect(member.body.data.instance.id).toBe(toGlobalId('Instance', server.id));
    expect(member.body.extensions?.mosaic).toBeUndefined();
    const anonymous = await run(undefined, true);
    expect(anonymous.body.extensions?.mosaic).toBeUndefined();
    expect(anonymous.body.errors?.length).toBeGreaterThan(0);
  });
});
