// Starts the whole emulated cloud in this process: Keystone, Nova, Cinder, Glance, Neutron and the legacy
// region controller, each its own HTTP server, all sharing one seeded Cloud so writes are visible everywhere.
// Used by `npm run cloud`, `mosaic demo`, the tests (ports 0) and the benchmark.
import { buildCloud, DEMO_SERVICE_USER, type BuildCloudOptions } from './seed/build-cloud.ts';
import type { Cloud } from './seed/types.ts';
import type { Emulator, Faults } from './emulator/emulator-server.ts';
import { createKeystone } from './keystone/keystone.ts';
import { createNova } from './nova/nova.ts';
import { createCinder } from './cinder/cinder.ts';
import { createGlance } from './glance/glance.ts';
import { createNeutron } from './neutron/neutron.ts';
import { createRegionController } from './legacy/region-controller.ts';

export type ServiceName = 'keystone' | 'nova' | 'cinder' | 'glance' | 'neutron' | 'legacy';
export const SERVICE_NAMES: ServiceName[] = ['keystone', 'nova', 'cinder', 'glance', 'neutron', 'legacy'];

/** The ports the real services listen on by default. */
export const DEFAULT_PORTS: Record<ServiceName, number> = {
  keystone: 5000,
  nova: 8774,
  cinder: 8776,
  glance: 9292,
  neutron: 9696,
  legacy: 8080,
};

export interface DemoCloudOptions extends BuildCloudOptions {
  /** Fixed latency added to every upstream response (the benchmark uses 5 ms). */
  latencyMs?: number;
  /** Per-service ports; 0 picks a free one. Defaults to DEFAULT_PORTS. */
  ports?: Partial<Record<ServiceName, number>>;
  host?: string;
}

export interface DemoCloud {
  cloud: Cloud;
  emulators: Record<ServiceName, Emulator>;
  urls: Record<ServiceName, string>;
  /** Keystone v3 root, e.g. http://127.0.0.1:5000/v3 */
  keystoneUrl: string;
  /** Base URL of the legacy region controller and the key it accepts. */
  legacyUrl: string;
  legacyApiKey: string;
  /** Mosaic's Keystone service account (role `service` in project `service`): it may read revocation events. */
  keystoneServiceUser: string;
  keystoneServicePassword: string;
  setFaults(service: ServiceName, faults: Partial<Faults>): void;
  resetStats(): void;
  close(): Promise<void>;
}

export async function startDemoCloud(options: DemoCloudOptions = {}): Promise<DemoCloud> {
  const cloud = buildCloud(options);
  const emulators: Record<ServiceName, Emulator> = {
    keystone: createKeystone(cloud),
    nova: createNova(cloud),
    cinder: createCinder(cloud),
    glance: createGlance(cloud),
    neutron: createNeutron(cloud),
    legacy: createRegionController(cloud),
  };
  const host = options.host ?? '127.0.0.1';
  const urls = {} as Record<ServiceName, string>;
  try {
    for (const name of SERVICE_NAMES) {
      urls[name] = await emulators[name].listen(options.ports?.[name] ?? DEFAULT_PORTS[name], host);
    }
  } catch (err) {
    await Promise.all(SERVICE_NAMES.map((n) => (urls[n] ? emulators[n].close() : undefined)));
    throw err;
  }
  const endpoints: [string, string, string][] = [
    ['identity', 'keystone', `${urls.keystone}/v3`],
    ['compute', 'nova', `${urls.nova}/v2.1`],
    ['volumev3', 'cinderv3', `${urls.cinder}/v3/%(project_id)s`],
    ['block-storage', 'cinder', `${urls.cinder}/v3/%(project_id)s`],
    ['image', 'glance', urls.glance],
    ['network', 'neutron', `${urls.neutron}/`],
  ];
  cloud.catalog = endpoints.flatMap(([serviceType, serviceName, url]) =>
    (['public', 'internal', 'admin'] as const).map((iface) => ({ serviceType, serviceName, interface: iface, region: cloud.region, url })),
  );
  if (options.latencyMs) for (const name of SERVICE_NAMES) emulators[name].setFaults({ latencyMs: options.latencyMs });

  return {
    cloud,
    emulators,
    urls,
    keystoneUrl: `${urls.keystone}/v3`,
    legacyUrl: urls.legacy,
    legacyApiKey: cloud.legacyApiKey,
    keystoneServiceUser: DEMO_SERVICE_USER.name,
    keystoneServicePassword: DEMO_SERVICE_USER.password,
    setFaults: (service, faults) => void emulators[service].setFaults(faults),
    resetStats: () => SERVICE_NAMES.forEach((n) => emulators[n].reset()),
    close: async () => {
      await Promise.all(SERVICE_NAMES.map((n) => emulators[n].close()));
    },
  };
}
