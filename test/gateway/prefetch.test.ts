// Shape-aware prefetch (server/prefetch.ts): an administrator's unnarrowed zone tree starts the wide server and
// volume lists beside the zones call, so the fleet tree's critical path shrinks; a query that narrows, or does
// not reach instances or disks, starts nothing it will not need; members never start a wide list. Upstream calls
// are observed as the gateway sends them (the core/diagnostics.ts channels the metrics subscribe to) and as the
// emulators record them.
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse, type OperationDefinitionNode, type FragmentDefinitionNode } from 'graphql';
import { issueToken, startTestCloud, statsOf, type DemoCloud } from '../helpers/cloud.ts';
import { RUNTIMES, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { channels, type UpstreamCallMessage } from '../../core/diagnostics.ts';
import { buildSchema } from '../../server/schema.ts';
import { prefetchPlan } from '../../server/prefetch.ts';
import { toGlobalId } from '../../resolvers/global-id.ts';

const workload = (name: string) => readFileSync(new URL(`../fixtures/queries/${name}.graphql`, import.meta.url), 'utf8');

describe('prefetchPlan', () => {
  const schema = buildSchema();
  const plan = (query: string, variables: Record<string, unknown> = {}) => {
    const doc = parse(query);
    const operation = doc.definitions.find((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition')!;
    const fragments = Object.fromEntries(
      doc.definitions.filter((d): d is FragmentDefinitionNode => d.kind === 'FragmentDefinition').map((f) => [f.name.value, f]),
    );
    return prefetchPlan({ schema, operation, fragments, variableValues: variables });
  };

  it('starts servers and volumes for the fleet tree, through fragments and region alike', () => {
    expect(plan(workload('fleet-tree'))).toEqual({ servers: true, volumes: true });
    expect(plan('{ region { zones { hosts { ...H } } } } fragment H on Host { instances { ... on Instance { disks { id } } } }')).toEqual({
      servers: true,
      volumes: true,
    });
  });

  it('starts only what the selection reaches', () => {
    expect(plan('{ zones { hosts { instances { id } } } }')).toEqual({ servers: true, volumes: false });
    expect(plan('{ zones { hosts { hostname } } }')).toEqual({ servers: false, volumes: false });
    expect(plan('{ zones { name hostCount } }')).toEqual({ servers: false, volumes: false });
  });

  it('starts nothing for a query that narrows: one id, first, a filter, or a field left out by @include', () => {
    for (const name of ['zone-console', 'instance-detail', 'my-instances', 'sdk-nodes', 'dashboard'])
      expect(plan(workload(name), { zoneId: toGlobalId('Zone', 1), id: 'x', ids: [] }), name).toEqual({ servers: false, volumes: false });
    expect(plan('{ instances(first: 1) { edges { node { disks { id } } } } }')).toEqual({ servers: false, volumes: false });
    expect(plan('{ host(id: "x") { instances { disks { id } } } }')).toEqual({ servers: false, volumes: false });
    const conditional = 'query($deep: Boolean!) { zones { hosts { instances @include(if: $deep) { id } } } }';
    expect(plan(conditional, { deep: false })).toEqual({ servers: false, volumes: false });
    expect(plan(conditional, { deep: true })).toEqual({ servers: true, volumes: false });
  });

  it('starts nothing for a mutation', () => {
    expect(plan('mutation { login(username: "a", password: "b") { token } }')).toEqual({ servers: false, volumes: false });
  });
});

let cloud: DemoCloud;
let adminToken: string;
let aliceToken: string;

beforeAll(async () => {
  cloud = await startTestCloud({ size: 'small', latencyMs: 10 });
  [adminToken, aliceToken] = (await Promise.all([issueToken(cloud, 'admin'), issueToken(cloud, 'alice')])).map((t) => t.token);
});
afterAll(() => cloud?.close());

interface Event {
  at: 'start' | 'end';
  service: string;
  url: string;
}

/** Records this cloud's upstream calls in the order the gateway starts and ends them. */
function recordCalls(): { events: Event[]; stop(): void } {
  const events: Event[] = [];
  const ours = (m: UpstreamCallMessage) => Object.values(cloud.urls).some((u) => m.url.startsWith(u));
  const onStart = (m: unknown) =>
    ours(m as UpstreamCallMessage) && events.push({ at: 'start', service: (m as UpstreamCallMessage).service, url: (m as UpstreamCallMessage).url });
  const onEnd = (m: unknown) =>
    ours(m as UpstreamCallMessage) && events.push({ at: 'end', service: (m as UpstreamCallMessage).service, url: (m as UpstreamCallMessage).url });
  channels.upstreamStart.subscribe(onStart);
  channels.upstreamEnd.subscribe(onEnd);
  return {
    events,
    stop() {
      channels.upstreamStart.unsubscribe(onStart);
      channels.upstreamEnd.unsubscribe(onEnd);
    },
  };
}

const first = (events: Event[], at: Event['at'], match: (e: Event) => boolean) => events.findIndex((e) => e.at === at && match(e));
const last = (events: Event[], at: Event['at'], match: (e: Event) => boolean) => {
  for (let i = events.length - 1; i >= 0; i--) if (events[i].at === at && match(events[i])) return i;
  return -1;
};
const isZones = (e: Event) => e.service === 'legacy' && /\/zones$/.test(new URL(e.url).pathname);
const isHosts = (e: Event) => e.service === 'legacy' && /\/zones\/\d+\/hosts$/.test(new URL(e.url).pathname);
const isServerList = (e: Event) => e.service === 'nova' && e.url.includes('/servers/detail');
const isVolumeList = (e: Event) => e.service === 'cinder' && e.url.includes('/volumes/detail');

describe.each(RUNTIMES)('prefetch on %s', (runtime) => {
  let gw: TestGateway;
  let recorder: ReturnType<typeof recordCalls> | undefined;
  beforeAll(async () => {
    gw = await startTestGateway(cloud, runtime);
    // Warm: the version documents (one per service root) and the token validations are read once per gateway.
    await gw.query(workload('fleet-tree'), {}, adminToken);
    await gw.query('{ instances(first: 1) { totalCount } }', {}, aliceToken);
  });
  afterAll(() => gw?.close());
  afterEach(() => recorder?.stop());

  /** Runs a query with the calls recorded and the emulators' counters reset. */
  const run = async (query: string, variables: Record<string, unknown>, token: string) => {
    cloud.resetStats();
    recorder = recordCalls();
    const { body } = await gw.query(query, variables, token);
    recorder.stop();
    return { body, events: recorder.events };
  };

  it('starts the fleet tree’s server and volume lists beside the zones call, before any host list', async () => {
    const { body, events } = await run(workload('fleet-tree'), {}, adminToken);
    expect(body.errors).toBeUndefined();
    const zonesEnd = first(events, 'end', isZones);
    const hostsStart = first(events, 'start', isHosts);
    expect(zonesEnd).toBeGreaterThanOrEqual(0);
    expect(first(events, 'start', isServerList)).toBeLessThan(zonesEnd);
    expect(first(events, 'start', isVolumeList)).toBeLessThan(zonesEnd);
    expect(first(events, 'start', isServerList)).toBeLessThan(hostsStart);
    // Nothing fetched twice: one server list and one volume list page at this size.
    expect((await statsOf(cloud, 'nova')).byRoute['GET /v2.1/servers/detail']).toBe(1);
    expect((await statsOf(cloud, 'cinder')).byRoute['GET /v3/:project_id/volumes/detail']).toBe(1);
  });

  it('never starts a list the selection does not reach', async () => {
    const hostsOnly = await run('{ zones { name hosts { hostname } } }', {}, adminToken);
    expect(hostsOnly.body.errors).toBeUndefined();
    expect(hostsOnly.events.filter((e) => e.service === 'nova' || e.service === 'cinder')).toEqual([]);
    const noDisks = await run('{ zones { hosts { instances { id } } } }', {}, adminToken);
    expect(noDisks.body.errors).toBeUndefined();
    expect(noDisks.events.filter((e) => e.service === 'cinder')).toEqual([]);
    expect(first(noDisks.events, 'start', isServerList)).toBeLessThan(first(noDisks.events, 'end', isZones));
  });

  it('starts no wide list early for a zone console, narrowed to one zone by its id', async () => {
    const { body, events } = await run(workload('zone-console').replace(/^\s*metrics\(.*\n/gm, ''), { zoneId: toGlobalId('Zone', 1) }, adminToken);
    expect(body.data.zone.hosts.length).toBeGreaterThan(0);
    const hostsEnd = last(events, 'end', isHosts);
    expect(events.slice(0, hostsEnd).filter((e) => e.at === 'start' && (isServerList(e) || isVolumeList(e)))).toEqual([]);
  });

  it("starts no wide list for a member's narrow queries", async () => {
    const mine = await run(workload('my-instances'), { first: 5 }, aliceToken);
    expect(mine.body.errors).toBeUndefined();
    const instanceId = mine.body.data.instances.edges[0].node.id;
    const detail = await run(workload('instance-detail').replace(/^\s*metrics\(.*\n/gm, ''), { id: instanceId }, aliceToken);
    expect(detail.body.data.instance.id).toBe(instanceId);
    for (const { events } of [mine, detail]) expect(events.filter((e) => e.url.includes('all_tenants'))).toEqual([]);
  });

  it('starts nothing for a query the cost limit refuses', async () => {
    const strict = await startTestGateway(cloud, runtime, { server: { maxCost: 10 } });
    try {
      await strict.query('{ zones { id } }', {}, adminToken);
      cloud.resetStats();
      const { body } = await strict.query(workload('fleet-tree'), {}, adminToken);
      expect(body.errors?.[0]?.extensions?.code).toBeDefined();
      expect((await statsOf(cloud, 'nova')).byRoute['GET /v2.1/servers/detail'] ?? 0).toBe(0);
      expect((await statsOf(cloud, 'cinder')).byRoute['GET /v3/:project_id/volumes/detail'] ?? 0).toBe(0);
    } finally {
      await strict.close();
    }
  });
});
