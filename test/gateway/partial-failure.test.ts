// Partial failure, table-driven (upstream × fault × workload): with any one upstream down, slow past its timeout,
// answering 500 or answering garbled JSON, every workload query (test/fixtures/queries, metric fields stripped)
// still returns what the other upstreams provide, with errors exactly at the failing fields' paths naming the
// service and the public code (DESIGN.md "Errors"); the gateway keeps serving once the upstream recovers; and no
// error leaks a token, the legacy API key, a stack frame or an upstream URL.
// Each healthy answer is taken from the same gateway first, so "the data the other upstreams provide" is compared
// field by field: the faulted answer must equal it except for nulls at the error paths.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken, startTestCloud, type DemoCloud, type ServiceName } from '../helpers/cloud.ts';
import { RUNTIMES, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { toGlobalId, type NodeType } from '../../resolvers/global-id.ts';

type Fault = 'down' | 'slow' | 'error' | 'malformed';
const FAULTS: Record<Fault, Record<string, unknown>> = {
  down: { down: true },
  slow: { slowMs: 4000 },
  error: { errorRate: 1 },
  malformed: { malformedRate: 1 },
};
/** [how a test title says it, fault] */
const FAULT_CASES: [string, Fault][] = [
  ['is down', 'down'],
  ['is slower than its timeout', 'slow'],
  ['answers 500', 'error'],
  ['answers garbled JSON', 'malformed'],
];
const CLEAR = { down: false, slowMs: 0, errorRate: 0, malformedRate: 0 };
const SERVICES: ServiceName[] = ['nova', 'cinder', 'glance', 'neutron', 'legacy', 'keystone'];

/**
 * The public code a fault must surface as. The legacy controller's injected 500 is what its nginx front sends
 * when the application fails — an HTML 502 (DESIGN.md "The legacy region controller") — hence unavailable.
 */
const codeFor = (service: ServiceName, fault: Fault) =>
  fault === 'down'
    ? 'UPSTREAM_UNAVAILABLE'
    : fault === 'slow'
      ? 'UPSTREAM_TIMEOUT'
      : fault === 'error' && service === 'legacy'
        ? 'UPSTREAM_UNAVAILABLE'
        : 'UPSTREAM_ERROR';

type Workload = 'dashboard' | 'fleet-tree' | 'instance-detail' | 'my-instances' | 'sdk-nodes' | 'zone-console';
const WORKLOADS: Workload[] = ['dashboard', 'fleet-tree', 'instance-detail', 'my-instances', 'sdk-nodes', 'zone-console'];
const queryText = (name: Workload) =>
  readFileSync(new URL(`../fixtures/queries/${name}.graphql`, import.meta.url), 'utf8').replace(/^\s*(metrics|cpuUtilAvg)\(.*\n/gm, '');

const HOST = 'zone.hosts.*';
const INST = `${HOST}.instances.*`;
const EDGE = 'instances.edges.*.node';
const TREE = 'zones.*.hosts.*.instances.*';
/**
 * Where each upstream's failure must show (dot paths, `*` = any list index): every pattern gets at least one error
 * and every error matches a pattern. An upstream a workload does not read must leave its answer untouched.
 * Keystone is only read for projects here: tokens were validated (and cached) before the fault.
 */
const ERROR_PATHS: Record<Exclude<Workload, 'sdk-nodes'>, Partial<Record<ServiceName, string[]>>> = {
  // Each dashboard figure fails alone with the upstream it comes from; without the zone list there is no layout.
  dashboard: {
    nova: ['fleet.zones.*.instanceCount', 'fleet.zones.*.instancesByStatus', 'fleet.zones.*.vcpusAllocated', 'fleet.zones.*.memoryMbAllocated'],
    cinder: ['fleet.zones.*.diskGbProvisioned'],
    legacy: ['fleet'],
  },
  'fleet-tree': {
    legacy: ['zones'],
    nova: ['zones.*.hosts.*.instances'],
    glance: [`${TREE}.image`],
    cinder: [`${TREE}.disks.*`],
  },
  'instance-detail': {
    nova: ['instance'],
    keystone: ['instance.project'],
    legacy: ['instance.zone', 'instance.host', 'instance.disks.*'],
    glance: ['instance.image'],
    cinder: ['instance.disks.*'],
    neutron: ['instance.ports', 'instance.floatingIps'],
  },
  'my-instances': {
    nova: ['instances'],
    glance: [`${EDGE}.image`],
    cinder: [`${EDGE}.disks.*`],
    legacy: [`${EDGE}.disks.*`],
    neutron: [`${EDGE}.floatingIps`],
  },
  'zone-console': {
    legacy: ['zone'],
    nova: [`${HOST}.instances`],
    keystone: [`${INST}.project`],
    glance: [`${INST}.image`],
    cinder: [`${INST}.disks.*`],
    neutron: [`${INST}.ports`, `${INST}.floatingIps`],
  },
};

interface Answer {
  status: number;
  body: { data?: any; errors?: any[] };
}
type Path = (string | number)[];

const matches = (path: Path, pattern: string) => {
  const parts = pattern.split('.');
  return parts.length === path.length && parts.every((p, i) => (p === '*' ? typeof path[i] === 'number' : p === String(path[i])));
};
const valueAt = (data: any, path: Path) => path.reduce((v, k) => (v == null ? undefined : v[k]), data);

/**
 * Differences between a healthy answer and a faulted one, other than nulls at error paths. A `disks` list holds
 * one null in place of the failed backend's disks (Cinder's come first, then the legacy ones), so the entries
 * before it must be a prefix of the healthy list and those after it a suffix.
 */
function differences(healthy: any, faulted: any, errorPaths: Set<string>, path: Path = [], out: string[] = []): string[] {
  const here = path.join('.');
  if (faulted === null && healthy !== null) {
    if (!errorPaths.has(here)) out.push(`${here}: null without an error at its path`);
  } else if (Array.isArray(healthy) && Array.isArray(faulted)) {
    const hole = faulted.indexOf(null);
    if (path[path.length - 1] === 'disks' && hole !== -1 && !healthy.includes(null)) {
      if (!errorPaths.has(`${here}.${hole}`)) out.push(`${here}.${hole}: null without an error`);
      const after = faulted.slice(hole + 1);
      if (after.includes(null)) out.push(`${here}: more than one failed backend`);
      if (JSON.stringify(faulted.slice(0, hole)) !== JSON.stringify(healthy.slice(0, hole)))
        out.push(`${here}: disks before the failed backend differ`);
      if (after.length > 0 && JSON.stringify(after) !== JSON.stringify(healthy.slice(-after.length)))
        out.push(`${here}: disks after the failed backend differ`);
    } else if (healthy.length !== faulted.length) {
      out.push(`${here}: ${faulted.length} entries instead of ${healthy.length}`);
    } else healthy.forEach((h, i) => differences(h, faulted[i], errorPaths, [...path, i], out));
  } else if (healthy && faulted && typeof healthy === 'object' && typeof faulted === 'object') {
    for (const key of new Set([...Object.keys(healthy), ...Object.keys(faulted)]))
      differences(healthy[key], faulted[key], errorPaths, [...path, key], out);
  } else if (healthy !== faulted) out.push(`${here}: ${JSON.stringify(faulted)} instead of ${JSON.stringify(healthy)}`);
  return out;
}

/** No error text or extension may carry a secret, a stack frame or an upstream address. */
function expectNoLeaks(answer: Answer, secrets: string[], label: string) {
  for (const error of answer.body.errors ?? []) {
    const text = `${error.message}\n${JSON.stringify(error.extensions ?? {})}`;
    for (const secret of secrets) expect(text.includes(secret), `${label}: error leaks a secret: ${text}`).toBe(false);
    expect(text, label).not.toMatch(/(^|\n)\s*at \S|\bat \S+ \(|:\d+:\d+\)/);
    expect(text, label).not.toContain('http://127.0.0.1:');
    expect(error.extensions ?? {}, label).not.toHaveProperty('stacktrace');
    expect(error.extensions ?? {}, label).not.toHaveProperty('exception');
  }
}

let cloud: DemoCloud;
let tokens: { admin: string; alice: string; bob: string };
let variables: Record<Workload, Record<string, unknown>>;
/** sdk-nodes ids, each with the upstream its lookup reads. */
let nodeIds: { id: string; service: ServiceName }[];

beforeAll(async () => {
  cloud = await startTestCloud();
  const c = cloud.cloud;
  const [admin, alice, bob] = await Promise.all(['admin', 'alice', 'bob'].map((u) => issueToken(cloud, u)));
  tokens = { admin: admin.token, alice: alice.token, bob: bob.token };
  // instance-detail needs an instance that reaches every upstream: an image, a Cinder volume, a legacy disk and a floating IP.
  const fipPorts = new Set(c.floatingIps.map((f) => f.portId));
  const rich = c.servers.find(
    (s) =>
      s.imageId &&
      s.status === 'ACTIVE' &&
      c.ports.some((p) => p.deviceId === s.id && fipPorts.has(p.id)) &&
      c.legacyDisks.some((d) => d.instanceUuid === s.id) &&
      c.volumes.some((v) => v.attachments.some((a) => a.serverId === s.id)),
  );
  if (!rich) throw new Error('the tiny cloud has no instance with an image, a volume, a legacy disk and a floating IP');
  const node = (type: NodeType, key: string | number, service: ServiceName) => ({ id: toGlobalId(type, key), service });
  nodeIds = [
    node('Instance', c.servers[0].id, 'nova'),
    node('Instance', rich.id, 'nova'),
    node('Host', c.hosts[0].id, 'legacy'),
    node('Zone', c.zones[1].id, 'legacy'),
    node('Disk', `cinder:${c.volumes.find((v) => v.attachments.length > 0)!.id}`, 'cinder'),
    node('Disk', `legacy:${c.legacyDisks.find((d) => d.instanceUuid)!.id}`, 'legacy'),
    node('Image', c.images.find((i) => !i.hidden && i.status === 'active')!.id, 'glance'),
    node('Port', c.ports[0].id, 'neutron'),
    node('FloatingIp', c.floatingIps[0].id, 'neutron'),
    node('Project', c.projects.find((p) => p.name === 'web')!.id, 'keystone'),
  ];
  variables = {
    dashboard: {},
    'fleet-tree': {},
    'my-instances': {},
    'instance-detail': { id: toGlobalId('Instance', rich.id) },
    'sdk-nodes': { ids: nodeIds.map((n) => n.id) },
    'zone-console': { zoneId: toGlobalId('Zone', c.zones[0].id) },
  };
});
afterAll(() => cloud?.close());

const errorPathsFor = (workload: Workload, service: ServiceName): string[] =>
  workload === 'sdk-nodes' ? nodeIds.flatMap((n, i) => (n.service === service ? [`nodes.${i}`] : [])) : (ERROR_PATHS[workload][service] ?? []);

describe.each(RUNTIMES)('partial failure on %s', (runtime) => {
  describe.each(SERVICES)('when %s fails', (service) => {
    let gw: TestGateway;
    const healthy = {} as Record<Workload, Answer>;
    const run = (workload: Workload) =>
      gw.query(queryText(workload), variables[workload], workload === 'my-instances' ? tokens.alice : tokens.admin) as Promise<Answer>;

    beforeAll(async () => {
      // A short timeout and no retries for the failing upstream, so a slow one costs 1 s per level (generous enough that a loaded CI machine does not time out healthy calls);
      // no dashboard cache, so every dashboard query reaches the upstreams; no circuit breaker, so each fault shows as its own code and recovery is immediate (test/gateway/circuit-breaker.test.ts covers breakers).
      gw = await startTestGateway(cloud, runtime, {
        upstreams: { [service]: { timeoutMs: 1000, retries: 0 } },
        fleet: { cacheTtlMs: 0 },
        breaker: { enabled: false },
      });
      // Validates (and caches) the admin and alice tokens while Keystone is up; bob's stays unseen.
      await Promise.all([gw.query('{ viewer { userName } }', {}, tokens.admin), gw.query('{ viewer { userName } }', {}, tokens.alice)]);
      for (const w of WORKLOADS) {
        healthy[w] = await run(w);
        expect(healthy[w].body.errors, `${w} healthy`).toBeUndefined();
      }
    });
    afterAll(async () => {
      cloud.setFaults(service, CLEAR);
      await gw?.close();
    });

    it.each(FAULT_CASES)('keeps every workload answering while it %s', async (_, fault) => {
      const code = codeFor(service, fault);
      const secrets = [tokens.admin, tokens.alice, tokens.bob, cloud.legacyApiKey];
      cloud.setFaults(service, FAULTS[fault]);
      let answers: Answer[];
      try {
        answers = await Promise.all(WORKLOADS.map(run));
      } finally {
        cloud.setFaults(service, CLEAR);
      }
      WORKLOADS.forEach((workload, w) => {
        const answer = answers[w];
        const label = `${workload} with ${service} ${fault}`;
        const patterns = errorPathsFor(workload, service);
        const errors = answer.body.errors ?? [];
        expect(answer.status, label).toBe(200);
        expectNoLeaks(answer, secrets, label);
        for (const e of errors) {
          expect(e.extensions, `${label}: ${e.message} at ${e.path?.join('.')}`).toMatchObject({ code, service });
          expect(
            patterns.some((p) => matches(e.path, p)),
            `${label}: unexpected error at ${e.path?.join('.')}`,
          ).toBe(true);
          expect(valueAt(answer.body.data, e.path), `${label}: value at ${e.path.join('.')}`).toBeNull();
        }
        for (const p of patterns)
          expect(
            errors.some((e) => matches(e.path, p)),
            `${label}: no error at ${p}`,
          ).toBe(true);
        const errorPaths = new Set(errors.map((e) => e.path.join('.')));
        expect(differences(healthy[workload].body.data, answer.body.data, errorPaths), label).toEqual([]);
      });

      // The gateway keeps serving: once the upstream is back, every workload answers in full again.
      const recovered = await Promise.all(WORKLOADS.map(run));
      WORKLOADS.forEach((workload, w) => {
        expect(recovered[w].body.errors, `${workload} after ${service} recovered`).toBeUndefined();
        expect(recovered[w].body.data, `${workload} after ${service} recovered`).toEqual(healthy[workload].body.data);
      });
    });

    if (service === 'keystone') {
      it.each(FAULT_CASES)('serves cached tokens but fails login and unseen tokens with an upstream code while it %s', async (_, fault) => {
        const code = codeFor(service, fault);
        cloud.setFaults('keystone', FAULTS[fault]);
        let cached: Answer, login: Answer, unseen: Answer;
        try {
          [cached, login, unseen] = (await Promise.all([
            gw.query('{ viewer { userName isAdmin } }', {}, tokens.alice),
            gw.query('mutation { login(username: "alice", password: "alice") { token } }'),
            gw.query('{ viewer { userName } }', {}, tokens.bob),
          ])) as Answer[];
        } finally {
          cloud.setFaults('keystone', CLEAR);
        }
        expect(cached.body).toEqual({ data: { viewer: { userName: 'alice', isAdmin: false } } });
        expect(login.body.errors?.[0]?.extensions).toMatchObject({ code, service: 'keystone' });
        expect(login.body.errors?.[0]?.path).toEqual(['login']);
        // A token the gateway has not seen cannot be checked: that is Keystone's failure, not the caller's.
        expect(unseen.body.errors?.[0]?.extensions).toMatchObject({ code, service: 'keystone' });
        for (const answer of [login, unseen])
          expectNoLeaks(answer, [tokens.admin, tokens.alice, tokens.bob, cloud.legacyApiKey], `keystone ${fault}`);
      });
    }
  });
});
