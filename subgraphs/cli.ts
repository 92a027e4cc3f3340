// `npm run cloud -- --size small --latency 5 --seed 42 --host 127.0.0.1 --port-base N`: runs the emulated
// cloud (Keystone, Nova, Cinder, Glance, Neutron, legacy region controller) in the foreground, prints where each
// service listens, and stays up until SIGINT/SIGTERM. Exit codes: 0 after a clean stop, 1 when the cloud
// cannot start (a port in use), 2 for bad flags.
import { parseArgs } from 'node:util';
import { CLOUD_SIZES, DEFAULT_SEED } from './seed/build-cloud.ts';
import type { CloudSize } from './seed/types.ts';
import { DEFAULT_PORTS, SERVICE_NAMES, startDemoCloud, type ServiceName } from './demo-cloud.ts';

const USAGE = `Usage: npm run cloud -- [options]
  --size tiny|small|medium|large   cloud size (default small)
  --seed N                         seed of the generated cloud (default ${DEFAULT_SEED})
  --latency MS                     fixed latency added to every upstream response (default 0)
  --host ADDR                      address to listen on (default 127.0.0.1)
  --port-base N                    listen on N..N+6 (${SERVICE_NAMES.join(', ')}); 0 picks free ports
                                   (default: the real services' ports ${SERVICE_NAMES.map((n) => DEFAULT_PORTS[n]).join(', ')})
  -h, --help                       show this help`;

const LABELS: Record<ServiceName, string> = {
  keystone: 'Keystone',
  nova: 'Nova',
  cinder: 'Cinder',
  glance: 'Glance',
  neutron: 'Neutron',
  legacy: 'Legacy',
  placement: 'Placement',
};

class UsageError extends Error {}

function nonNegativeInt(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^[0-9]+$/.test(raw) || !Number.isSafeInteger(value)) throw new UsageError(`--${flag} must be a non-negative integer, got "${raw}"`);
  return value;
}

interface CloudCliOptions {
  size: CloudSize;
  seed: number;
  latencyMs: number;
  host: string;
  ports: Record<ServiceName, number>;
}

/** Flags to options; throws UsageError with a message fit for the terminal. */
function parseCloudArgs(argv: string[]): CloudCliOptions | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        size: { type: 'string', default: 'small' },
        seed: { type: 'string' },
        latency: { type: 'string' },
        host: { type: 'string', default: '127.0.0.1' },
        'port-base': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return 'help';
  const size = values.size as CloudSize;
  if (!Object.hasOwn(CLOUD_SIZES, size))
    throw new UsageError(`unknown --size "${values.size}" (expected one of ${Object.keys(CLOUD_SIZES).join(', ')})`);
  const latencyMs = nonNegativeInt('latency', values.latency, 0);
  const seed = nonNegativeInt('seed', values.seed, DEFAULT_SEED);
  let ports = { ...DEFAULT_PORTS };
  if (values['port-base'] !== undefined) {
    const base = nonNegativeInt('port-base', values['port-base'], 0);
    if (base + SERVICE_NAMES.length - 1 > 65_535) throw new UsageError(`--port-base ${base} leaves no room for ${SERVICE_NAMES.length} ports`);
    ports = Object.fromEntries(SERVICE_NAMES.map((name, i) => [name, base === 0 ? 0 : base + i])) as Record<ServiceName, number>;
  }
  return { size, seed, latencyMs, host: values.host!, ports };
}

async function main(): Promise<void> {
  let options: CloudCliOptions | 'help';
  try {
    options = parseCloudArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`error: ${err.message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (options === 'help') {
    console.log(USAGE);
    return;
  }

  let demo;
  try {
    demo = await startDemoCloud({ size: options.size, seed: options.seed, latencyMs: options.latencyMs, host: options.host, ports: options.ports });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    console.error(`error: cannot start the demo cloud: ${e.code === 'EADDRINUSE' ? `port in use (${e.message})` : e.message}`);
    process.exit(1);
  }

  const { cloud, urls } = demo;
  const serviceUrl: Record<ServiceName, string> = {
    keystone: demo.keystoneUrl,
    nova: `${urls.nova}/v2.1`,
    cinder: `${urls.cinder}/v3/{project_id}`,
    glance: urls.glance,
    neutron: urls.neutron,
    legacy: urls.legacy,
    placement: urls.placement,
  };
  const projectName = (id: string) => cloud.projects.find((p) => p.id === id)?.name ?? id;
  console.log(`Mosaic demo cloud: size ${cloud.size}, seed ${cloud.seed}, region ${cloud.region}, latency ${options.latencyMs} ms`);
  console.log(`  ${cloud.zones.length} zones, ${cloud.hosts.length} hosts, ${cloud.servers.length} servers, ${cloud.volumes.length} volumes`);
  for (const name of SERVICE_NAMES) console.log(`${LABELS[name]}: ${serviceUrl[name]}`);
  console.log(`Legacy API key: ${cloud.legacyApiKey}`);
  console.log(
    `Users: ${cloud.users.map((u) => `${u.name}/${u.password} (${projectName(u.projectId)}${u.roleNames.includes('admin') ? ', admin role' : ''})`).join(', ')}`,
  );
  console.log('Control: GET /_emulator/stats, POST /_emulator/reset, PUT /_emulator/faults on every service. Ctrl-C to stop.');

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: closing the demo cloud`);
    demo.close().then(
      () => process.exit(0),
      (err) => {
        console.error('error while closing:', err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

await main();
