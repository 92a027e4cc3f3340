// Contract tests of the Neutron v2.0 emulator: port, network and floating IP JSON field for field as the
// API reference samples in test/fixtures, repeated-key filters (OR within a key, AND across keys) as the
// gateway batches them, `fields=` projection, per-project visibility, limit/marker pagination with
// `*_links`, and NeutronError bodies. Real tiny cloud, real Keystone tokens.
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { issueToken, startTestCloud, type DemoCloud } from '../helpers/cloud.ts';
import { NO_FAULTS } from '../../subgraphs/emulator/emulator-server.ts';

const sample = (file: string) => JSON.parse(readFileSync(new URL(`../fixtures/openstack-samples/neutron/${file}`, import.meta.url), 'utf8'));
const PORT_SAMPLE = sample('ports-list-response.json').ports[0];
const NETWORK_SAMPLE = sample('networks-list-response.json').networks[0];
const FIP_SAMPLE = sample('floating-ips-list-response.json').floatingips[0];
const NEUTRON_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

let demo: DemoCloud;
const tokens: Record<string, string> = {};
beforeAll(async () => {
  demo = await startTestCloud();
  for (const name of ['admin', 'alice', 'bob']) tokens[name] = (await issueToken(demo, name)).token;
});
afterAll(() => demo?.close());
afterEach(() => demo.setFaults('neutron', NO_FAULTS));

async function neutron(who: string, path: string): Promise<{ status: number; json: any }> {
  const res = await fetch(path.startsWith('http') ? path : `${demo.urls.neutron}${path}`, { headers: { 'x-auth-token': tokens[who] } });
  return { status: res.status, json: await res.json() };
}
const project = (name: string) => demo.cloud.projects.find((p) => p.name === name)!.id;
const ids = (items: any[]) => items.map((x) => x.id).sort();
const jsonType = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
/** Sample fields that are set in the samples but null in this cloud (no QoS, routers or PVLANs modelled). */
const NULLABLE = new Set([
  'qos_network_policy_id',
  'qos_policy_id',
  'router_id',
  'port_details',
  'pvlan_type',
  'pvlan_community',
  'port_id',
  'fixed_ip_address',
]);
const expectShape = (item: any, ref: any) => {
  expect(Object.keys(item).sort()).toEqual(Object.keys(ref).sort());
  for (const [k, v] of Object.entries(ref)) {
    if (v === null || (NULLABLE.has(k) && item[k] === null)) continue;
    expect(jsonType(item[k]), k).toBe(jsonType(v));
  }
  expect(item.created_at).toMatch(NEUTRON_TIME);
};

describe('resource shapes', () => {
  it("serves ports, networks and floating IPs with exactly the samples' fields", async () => {
    const ports = (await neutron('admin', '/v2.0/ports')).json.ports;
    expect(ports).toHaveLength(demo.cloud.ports.length);
    for (const p of ports) expectShape(p, PORT_SAMPLE);
    for (const n of (await neutron('admin', '/v2.0/networks')).json.networks) expectShape(n, NETWORK_SAMPLE);
    const fips = (await neutron('admin', '/v2.0/floatingips')).json.floatingips;
    for (const f of fips) expectShape(f, FIP_SAMPLE);
    const withPort = fips.find((f: any) => f.port_id)!;
    const port = demo.cloud.ports.find((p) => p.id === withPort.port_id)!;
    expect(withPort.port_details).toEqual({
      status: port.status,
      name: port.name,
      admin_state_up: true,
      network_id: port.networkId,
      device_owner: port.deviceOwner,
      mac_address: port.macAddress,
      device_id: port.deviceId,
    });
  });

  it('shows one resource by id under its singular key', async () => {
    const port = demo.cloud.ports.find((p) => p.projectId === project('web'))!;
    const r = await neutron('alice', `/v2.0/ports/${port.id}`);
    expect(r.status).toBe(200);
    expect(r.json.port).toMatchObject({
      id: port.id,
      device_id: port.deviceId,
      network_id: port.networkId,
      project_id: port.projectId,
      tenant_id: port.projectId,
      fixed_ips: port.fixedIps.map((ip) => ({ ip_address: ip.ipAddress, subnet_id: ip.subnetId })),
    });
    const net = demo.cloud.networks.find((n) => n.external)!;
    expect((await neutron('alice', `/v2.0/networks/${net.id}`)).json.network).toMatchObject({ id: net.id, 'router:external': true, shared: true });
  });
});

describe('filters', () => {
  it('ORs repeated device_id values and ANDs them with other keys', async () => {
    const servers = demo.cloud.servers.filter((s) => s.projectId === project('web')).slice(0, 3);
    const query = servers.map((s) => `device_id=${s.id}`).join('&');
    const expected = demo.cloud.ports.filter((p) => servers.some((s) => s.id === p.deviceId));
    expect(ids((await neutron('alice', `/v2.0/ports?${query}`)).json.ports)).toEqual(ids(expected));
    const active = await neutron('alice', `/v2.0/ports?${query}&status=ACTIVE`);
    expect(ids(active.json.ports)).toEqual(ids(expected.filter((p) => p.status === 'ACTIVE')));
  });

  it('answers a 4 KB list of device ids in one call', async () => {
    // Every server of the cloud, padded with ids that match nothing, as a gateway batch would be.
    const servers = demo.cloud.servers;
    const padding = Array.from({ length: 100 - servers.length }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    const query = [...servers.map((s) => s.id), ...padding].map((id) => `device_id=${id}`).join('&');
    expect(query.length).toBeGreaterThan(4000);
    const r = await neutron('admin', `/v2.0/ports?${query}&fields=id&fields=device_id`);
    expect(ids(r.json.ports)).toEqual(ids(demo.cloud.ports.filter((p) => servers.some((s) => s.id === p.deviceId))));
  });

  it('finds floating IPs by repeated port_id and by address', async () => {
    const fips = demo.cloud.floatingIps.filter((f) => f.projectId === project('web')).slice(0, 2);
    const r = await neutron('alice', `/v2.0/floatingips?${fips.map((f) => `port_id=${f.portId}`).join('&')}`);
    expect(ids(r.json.floatingips)).toEqual(ids(fips));
    const byAddress = await neutron('alice', `/v2.0/floatingips?floating_ip_address=${fips[0].address}`);
    expect(ids(byAddress.json.floatingips)).toEqual([fips[0].id]);
  });

  it('filters networks on router:external and ports on fixed_ips', async () => {
    const external = await neutron('admin', '/v2.0/networks?router:external=true');
    expect(external.json.networks.map((n: any) => n.name)).toEqual(['public']);
    const port = demo.cloud.ports[0];
    const byIp = await neutron('admin', `/v2.0/ports?fixed_ips=ip_address%3D${port.fixedIps[0].ipAddress}`);
    expect(ids(byIp.json.ports)).toContain(port.id);
    expect(byIp.json.ports.every((p: any) => p.fixed_ips.some((ip: any) => ip.ip_address === port.fixedIps[0].ipAddress))).toBe(true);
  });

  it('projects each item to the requested fields', async () => {
    const r = await neutron('alice', '/v2.0/ports?fields=id&fields=device_id&fields=fixed_ips');
    expect(r.json.ports.length).toBeGreaterThan(0);
    for (const p of r.json.ports) expect(Object.keys(p).sort()).toEqual(['device_id', 'fixed_ips', 'id']);
    const one = await neutron('alice', `/v2.0/networks/${demo.cloud.networks[0].id}?fields=name`);
    expect(one.json).toEqual({ network: { name: 'public' } });
  });
});

describe('visibility', () => {
  it("never shows alice bob's ports or floating IPs, and 404s them by id", async () => {
    const web = project('web');
    const ports = (await neutron('alice', '/v2.0/ports')).json.ports;
    expect(ids(ports)).toEqual(ids(demo.cloud.ports.filter((p) => p.projectId === web)));
    const fips = (await neutron('alice', `/v2.0/floatingips?project_id=${project('data')}`)).json.floatingips;
    expect(fips).toEqual([]);
    const bobsPort = demo.cloud.ports.find((p) => p.projectId === project('data'))!;
    expect(await neutron('alice', `/v2.0/ports/${bobsPort.id}`)).toEqual({
      status: 404,
      json: { NeutronError: { type: 'PortNotFound', message: `Port ${bobsPort.id} could not be found.`, detail: '' } },
    });
    const bobsFip = demo.cloud.floatingIps.find((f) => f.projectId === project('data'))!;
    expect((await neutron('alice', `/v2.0/floatingips/${bobsFip.id}`)).json.NeutronError.type).toBe('FloatingIPNotFound');
  });

  it('shows members their own networks plus shared and external ones', async () => {
    const nets = (await neutron('bob', '/v2.0/networks')).json.networks;
    expect(nets.map((n: any) => n.name).sort()).toEqual(['data-net', 'public']);
  });

  it("shows admins every project's resources without any flag", async () => {
    expect((await neutron('admin', '/v2.0/floatingips')).json.floatingips).toHaveLength(demo.cloud.floatingIps.length);
    expect((await neutron('admin', '/v2.0/networks')).json.networks).toHaveLength(demo.cloud.networks.length);
    const projects = new Set((await neutron('admin', '/v2.0/ports')).json.ports.map((p: any) => p.project_id));
    expect(projects.size).toBeGreaterThan(1);
  });
});

describe('pagination', () => {
  it('follows next links to exactly the full set, in id order', async () => {
    const full = (await neutron('admin', '/v2.0/ports')).json.ports.map((p: any) => p.id);
    const seen: string[] = [];
    let url: string | undefined = `/v2.0/ports?limit=7`;
    let pages = 0;
    while (url) {
      const r = await neutron('admin', url);
      expect(r.status).toBe(200);
      pages++;
      seen.push(...r.json.ports.map((p: any) => p.id));
      url = r.json.ports_links?.find((l: any) => l.rel === 'next')?.href;
      if (r.json.ports.length === 7) expect(url).toContain(`marker=${r.json.ports[6].id}`);
      else expect(url).toBeUndefined();
    }
    expect(seen).toEqual(full);
    expect(seen).toEqual([...full].sort());
    expect(pages).toBe(Math.floor(full.length / 7) + 1);
  });

  it('pages backwards with page_reverse and links the previous page', async () => {
    const all = (await neutron('admin', '/v2.0/ports')).json.ports.map((p: any) => p.id);
    const r = await neutron('admin', `/v2.0/ports?limit=3&marker=${all[6]}&page_reverse=True`);
    expect(r.json.ports.map((p: any) => p.id)).toEqual(all.slice(3, 6));
    const prev = r.json.ports_links.find((l: any) => l.rel === 'previous');
    expect(prev.href).toBe(`${demo.urls.neutron}/v2.0/ports?limit=3&marker=${all[3]}&page_reverse=True`);
  });

  it("keeps filters in the links and answers an unknown marker with the resource's NotFound", async () => {
    const net = demo.cloud.networks.find((n) => n.name === 'web-net')!;
    const r = await neutron('alice', `/v2.0/ports?network_id=${net.id}&limit=2`);
    expect(r.json.ports_links[0]).toEqual({
      rel: 'next',
      href: `${demo.urls.neutron}/v2.0/ports?network_id=${net.id}&limit=2&marker=${r.json.ports[1].id}`,
    });
    expect(await neutron('alice', '/v2.0/networks?limit=1&marker=nope')).toEqual({
      status: 404,
      json: { NeutronError: { type: 'NetworkNotFound', message: 'Network nope could not be found.', detail: '' } },
    });
  });
});

describe('errors', () => {
  it('rejects unknown filter attributes, bad booleans and bad limits with 400', async () => {
    expect(await neutron('alice', '/v2.0/ports?colour=blue')).toEqual({
      status: 400,
      json: { NeutronError: { type: 'HTTPBadRequest', message: "['colour'] is invalid attribute for filtering", detail: '' } },
    });
    expect((await neutron('alice', '/v2.0/networks?shared=maybe')).json.NeutronError).toMatchObject({ type: 'InvalidInput' });
    expect((await neutron('alice', '/v2.0/ports?limit=-1')).json.NeutronError).toMatchObject({ type: 'BadRequest' });
  });

  it('answers a missing token with 401 and injected failures with a NeutronError 500', async () => {
    const res = await fetch(`${demo.urls.neutron}/v2.0/ports`);
    expect(res.status).toBe(401);
    expect((await res.json()).error.code).toBe(401);
    demo.setFaults('neutron', { errorRate: 1 });
    expect(await neutron('alice', '/v2.0/ports')).toEqual({
      status: 500,
      json: {
        NeutronError: {
          type: 'HTTPInternalServerError',
          message: 'Request Failed: internal server error while processing your request.',
          detail: '',
        },
      },
    });
  });
});

describe('subnets, security groups and quota details', () => {
  it('derives one subnet per network, visible where the network is, and filters subnets by repeated id', async () => {
    const own = demo.cloud.networks.find((n) => n.projectId === project('web') && !n.external)!;
    const pub = demo.cloud.networks.find((n) => n.external)!;
    const subnets = (await neutron('alice', '/v2.0/subnets')).json.subnets;
    expect(ids(subnets)).toEqual([own.subnetId, pub.subnetId].sort());
    const mine = subnets.find((s: any) => s.id === own.subnetId);
    expect(mine).toMatchObject({ network_id: own.id, cidr: own.cidr, ip_version: 4, enable_dhcp: true, project_id: own.projectId });
    expect(mine.gateway_ip).toBe(own.cidr.replace(/0\/\d+$/, '1'));
    expect(mine.created_at).toMatch(NEUTRON_TIME);
    const bobs = demo.cloud.networks.find((n) => n.projectId === project('data') && !n.external)!;
    const byIds = await neutron('admin', `/v2.0/subnets?id=${own.subnetId}&id=${bobs.subnetId}`);
    expect(ids(byIds.json.subnets)).toEqual([own.subnetId, bobs.subnetId].sort());
    expect((await neutron('alice', `/v2.0/subnets/${bobs.subnetId}`)).json.NeutronError.type).toBe('SubnetNotFound');
  });

  it("shows a project's security groups with rules embedded, the default one being the ports' group", async () => {
    const groups = (await neutron('alice', '/v2.0/security-groups')).json.security_groups;
    expect(groups.map((g: any) => g.name).sort()).toEqual(['default', 'web']);
    const port = demo.cloud.ports.find((p) => p.projectId === project('web'))!;
    const portJson = (await neutron('alice', `/v2.0/ports/${port.id}`)).json.port;
    const def = groups.find((g: any) => g.name === 'default');
    expect(portJson.security_groups).toEqual([def.id]);
    expect(def.security_group_rules).toHaveLength(4);
    for (const r of def.security_group_rules) {
      expect(r).toMatchObject({ security_group_id: def.id, project_id: project('web') });
      expect(['ingress', 'egress']).toContain(r.direction);
    }
    expect((await neutron('bob', `/v2.0/security-groups/${def.id}`)).status).toBe(404);
    expect((await neutron('admin', '/v2.0/security-groups')).json.security_groups).toHaveLength(demo.cloud.projects.length * 2);
  });

  it("counts quota usage from the cloud's state, and refuses another project's to members", async () => {
    const web = project('web');
    const r = await neutron('alice', `/v2.0/quotas/${web}/details.json`);
    expect(r.status).toBe(200);
    expect(r.json.quota.port).toEqual({ used: demo.cloud.ports.filter((p) => p.projectId === web).length, limit: 500, reserved: 0 });
    expect(r.json.quota.floatingip.used).toBe(demo.cloud.floatingIps.filter((f) => f.projectId === web).length);
    expect(r.json.quota.security_group).toEqual({ used: 2, limit: 10, reserved: 0 });
    expect(await neutron('alice', `/v2.0/quotas/${project('data')}/details.json`)).toEqual({
      status: 403,
      json: { NeutronError: { type: 'PolicyNotAuthorized', message: 'rule:get_quota is disallowed by policy', detail: '' } },
    });
    expect((await neutron('admin', `/v2.0/quotas/${project('data')}/details.json`)).status).toBe(200);
  });
});
