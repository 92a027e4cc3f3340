// Throughput of the Nova emulator's hottest endpoint, so we know the emulators are never what a gateway
// benchmark measures. Starts only Keystone and Nova on the `small` cloud in this process (one event loop =
// one core), gets an admin token, then drives `GET /v2.1/servers/detail?all_tenants=1&limit=100` at
// microversion 2.47 with autocannon in a worker thread (so the load generator does not share the
// emulators' event loop) and prints requests/s, latency p50/p99 and bytes per response.
//
//   npx tsx bench/emulator-throughput.ts [--duration 10] [--connections 10] [--size small]
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { buildCloud } from '../subgraphs/seed/build-cloud.ts';
import type { CloudSize } from '../subgraphs/seed/types.ts';
import { createKeystone } from '../subgraphs/keystone/keystone.ts';
import { createNova } from '../subgraphs/nova/nova.ts';

interface Histogram {
  average: number;
  mean: number;
  p50: number;
  p99: number;
  total: number;
}
interface AutocannonResult {
  requests: Histogram;
  latency: Histogram;
  throughput: Histogram;
  errors: number;
  non2xx: number;
  timeouts: number;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;
// autocannon ships no types; it is CommonJS.
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '10' },
    size: { type: 'string', default: 'small' },
  },
});

const cloud = buildCloud({ size: values.size as CloudSize });
const keystone = createKeystone(cloud);
const nova = createNova(cloud);
const keystoneUrl = await keystone.listen(0);
const novaUrl = await nova.listen(0);
cloud.catalog = (['public', 'internal', 'admin'] as const).flatMap((iface) => [
  { serviceType: 'identity', serviceName: 'keystone', interface: iface, region: cloud.region, url: `${keystoneUrl}/v3` },
  { serviceType: 'compute', serviceName: 'nova', interface: iface, region: cloud.region, url: `${novaUrl}/v2.1` },
]);

const auth = await fetch(`${keystoneUrl}/v3/auth/tokens?nocatalog`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({
    auth: {
      identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password: 'admin' } } },
      scope: { project: { name: 'admin', domain: { id: 'default' } } },
    },
  }),
});
const token = auth.headers.get('x-subject-token');
if (auth.status !== 201 || !token) throw new Error(`keystone answered ${auth.status}`);

const url = `${novaUrl}/v2.1/servers/detail?all_tenants=1&limit=100`;
const headers = { 'x-auth-token': token, 'openstack-api-version': 'compute 2.47' };
const probe = await fetch(url, { headers });
const probeBody = (await probe.json()) as { servers: unknown[] };
if (probe.status !== 200 || probeBody.servers.length !== 100) throw new Error(`unexpected probe answer ${probe.status}`);

console.log(`cloud ${values.size}: ${cloud.servers.length} servers; GET ${url.replace(novaUrl, '')} (compute 2.47, admin)`);
console.log(`autocannon: ${values.connections} connections, ${values.duration} s, load generator in a worker thread`);
const elu0 = performance.eventLoopUtilization();
const result = await autocannon({
  url,
  headers,
  connections: Number(values.connections),
  duration: Number(values.duration),
  workers: 1,
});
// How busy the emulators' event loop was: near 1.0 means the emulator, not the load generator, is the limit.
const elu = performance.eventLoopUtilization(elu0).utilization;
const bytesPerResponse = result.requests.total > 0 ? Math.round(result.throughput.total / result.requests.total) : 0;
console.log(
  `requests/s     ${result.requests.average.toFixed(0)} (total ${result.requests.total}, errors ${result.errors}, non-2xx ${result.non2xx}, timeouts ${result.timeouts})`,
);
console.log(`latency        p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, mean ${result.latency.mean.toFixed(2)} ms`);
console.log(`bytes/response ${bytesPerResponse} (${(result.throughput.average / 1_048_576).toFixed(1)} MiB/s)`);
console.log(`emulator event-loop utilisation ${(elu * 100).toFixed(0)}% (one Node process = one core)`);

await Promise.all([keystone.close(), nova.close()]);
