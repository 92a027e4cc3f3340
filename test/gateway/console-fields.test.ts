// The fields a console shows for a server and a volume (`openstack server show`, `openstack volume show`), read
// from the records Nova and Cinder already return: compared with the emulators' own data, per caller, and
// checked to cost no upstream call beyond what `name` alone costs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken, startTestCloud, statsOf, type DemoCloud } from '../helpers/cloud.ts';
import { RUNTIMES, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { seedView, type SeedView } from '../helpers/seed-view.ts';
import { SERVICE_NAMES } from '../../subgraphs/demo-cloud.ts';
import type { Server } from '../../subgraphs/seed/types.ts';
import { toGlobalId } from '../../resolvers/global-id.ts';

const CONSOLE = `availabilityZone powerState taskState vmState locked lockedReason hostStatus description tags securityGroups configDrive
  launchedAt terminatedAt keyName addresses { network address version type macAddress } fault { code message createdAt }
  attachedVolumes { id deleteOnTermination }`;

let cloud: DemoCloud;
let seed: SeedView;
let adminToken: string;
let aliceToken: string;
let tagged: Server;

beforeAll(async () => {
  cloud = await startTestCloud({ size: 'tiny' });
  seed = seedView(cloud.cloud);
  [adminToken, aliceToken] = (await Promise.all([issueToken(cloud, 'admin'), issueToken(cloud, 'alice')])).map((t) => t.token);
  // What the seed does not vary, set on one of alice's servers that has a floating IP (rev bumped: Nova re-serialises).
  tagged = seed.serversOf(seed.projectIdOf('alice')).find((s) => s.status === 'ACTIVE' && seed.floatingIpsOf(s.id).length > 0)!;
  Object.assign(tagged, { tags: ['web', 'prod'], description: 'frontend', locked: true, rev: tagged.rev + 1 });
});
afterAll(() => cloud?.close());

/** The addresses Nova reports for a server, from the seed's ports and floating IPs. */
function addressesOf(s: Server) {
  return seed.portsOf(s.id).flatMap((p) => {
    const network = cloud.cloud.networks.find((n) => n.id === p.networkId)!.name;
    const fips = cloud.cloud.floatingIps.filter((f) => f.portId === p.id);
    return [
      ...p.fixedIps.map((f) => ({ network, address: f.ipAddress, version: 4, type: 'FIXED', macAddress: p.macAddress })),
      ...fips.map((f) => ({ network, address: f.address, version: 4, type: 'FLOATING', macAddress: p.macAddress })),
    ];
  });
}

describe.each(RUNTIMES)('console fields on %s', (runtime) => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway(cloud, runtime);
  });
  afterAll(() => gw?.close());

  it('answers server show’s fields from Nova’s record, host status to administrators only', async () => {
    const query = `query($id: ID!) { instance(id: $id) { ${CONSOLE} } }`;
    const host = cloud.cloud.hosts.find((h) => h.hostname === tagged.host)!;
    const expected = {
      availabilityZone: tagged.zone,
      powerState: 'RUNNING',
      taskState: null,
      vmState: 'active',
      locked: true,
      lockedReason: null,
      description: 'frontend',
      tags: ['web', 'prod'],
      securityGroups: ['default'],
      configDrive: false,
      launchedAt: tagged.launchedAt!.toISOString(),
      terminatedAt: null,
      keyName: tagged.keyName,
      addresses: addressesOf(tagged),
      fault: null,
      attachedVolumes: seed.volumesOf(tagged.id).map((v) => ({ id: v.id, deleteOnTermination: false })),
    };
    expect(expected.addresses.some((a) => a.type === 'FLOATING')).toBe(true);
    const asAlice = await gw.query(query, { id: tagged.id }, aliceToken);
    expect(asAlice.body.errors).toBeUndefined();
    const sortVolumes = (i: any) => ({ ...i, attachedVolumes: [...i.attachedVolumes].sort((a: any, b: any) => (a.id < b.id ? -1 : 1)) });
    expect(sortVolumes(asAlice.body.data.instance)).toEqual(sortVolumes({ ...expected, hostStatus: null }));
    const asAdmin = await gw.query(query, { id: tagged.id }, adminToken);
    expect(asAdmin.body.errors).toBeUndefined();
    expect(asAdmin.body.data.instance.hostStatus).toBe(['DOWN', 'UP', 'MAINTENANCE'][host.status]);
  });

  it('answers a server in ERROR with its fault and its stopped power state', async () => {
    const failed = cloud.cloud.servers.find((s) => s.status === 'ERROR')!;
    const { body } = await gw.query(
      `query($id: ID!) { instance(id: $id) { status powerState vmState fault { code message createdAt } } }`,
      { id: failed.id },
      adminToken,
    );
    expect(body.errors).toBeUndefined();
    expect(body.data.instance).toEqual({
      status: 'ERROR',
      powerState: 'NOSTATE',
      vmState: 'error',
      fault: {
        code: 500,
        message: expect.stringContaining('Exceeded maximum number of retries'),
        createdAt: new Date(Math.floor(failed.updatedAt.getTime() / 1000) * 1000).toISOString(),
      },
    });
  });

  it('answers a volume’s attachments, bootable, encrypted and multiattach from Cinder, host names to administrators only', async () => {
    const volume = seed.volumesOf(tagged.id)[0];
    const a = volume.attachments[0];
    const query = `query($id: ID!) { node(id: $id) { ... on Disk { bootable encrypted multiattach attachments { instanceId device hostName attachedAt } } } }`;
    const id = toGlobalId('Disk', `cinder:${volume.id}`);
    const asAdmin = await gw.query(query, { id }, adminToken);
    expect(asAdmin.body.errors).toBeUndefined();
    expect(asAdmin.body.data.node).toEqual({
      bootable: volume.bootable,
      encrypted: false,
      multiattach: false,
      attachments: [{ instanceId: a.serverId, device: a.device, hostName: tagged.host, attachedAt: a.attachedAt.toISOString() }],
    });
    const asAlice = await gw.query(query, { id }, aliceToken);
    expect(asAlice.body.data.node.attachments[0].hostName).toBeNull();
  });

  it('answers a legacy disk’s one attachment without host or time, and null Cinder-only flags', async () => {
    const legacy = cloud.cloud.legacyDisks.find((d) => d.instanceUuid !== null)!;
    const { body } = await gw.query(
      `query($id: ID!) { node(id: $id) { ... on Disk { backend encrypted multiattach attachments { instanceId device hostName attachedAt } } } }`,
      { id: toGlobalId('Disk', `legacy:${legacy.id}`) },
      adminToken,
    );
    expect(body.errors).toBeUndefined();
    expect(body.data.node).toEqual({
      backend: 'LEGACY',
      encrypted: null,
      multiattach: null,
      attachments: [{ instanceId: legacy.instanceUuid, device: legacy.device, hostName: null, attachedAt: null }],
    });
  });

  it('costs no upstream call beyond what the name alone costs', async () => {
    const requestsOf = async (fields: string) => {
      cloud.resetStats();
      const { body } = await gw.query(`{ instances(first: 100) { edges { node { name ${fields} } } } }`, {}, adminToken);
      expect(body.errors).toBeUndefined();
      const stats = await Promise.all(SERVICE_NAMES.map((s) => statsOf(cloud, s)));
      // Background revocation polls and version documents are not the query's calls.
      const own = (r: string) => !r.startsWith('GET /v3/OS-REVOKE/') && !/^GET \/(versions)?$/.test(r);
      return Object.fromEntries(SERVICE_NAMES.map((s, i) => [s, stats[i].requests.filter(own).sort()]));
    };
    const nameOnly = await requestsOf('');
    expect(nameOnly.nova.length).toBeGreaterThan(0);
    expect(await requestsOf(CONSOLE)).toEqual(nameOnly);
  });
});
