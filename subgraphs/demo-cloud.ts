// Starts the whole emulated cloud in this process: Keystone, Nova, Cinder, Glance, Neutron, Placement and the
// legacy region controller, each its own HTTP server, all sharing one seeded Cloud so writes are visible everywhere.
// Used by `npm run cloud`, `mosaic demo`, the tests (ports 0) and the benchmark.
import { buildCloud, DEMO_SERVICE_USER, type BuildCloudOptions } from './seed/build-cloud.ts';
import type { Cloud } from './seed/types.ts';
import { addPartialRecords, type PartialRecordIds } from './seed/partial-records.ts';
import type { Emulator, Faults } from './emulator/emulator-server.ts';
import { createKeystone } from './keystone/keystone.ts';
import { createNova } from './nova/nova.ts';
import { createCinder } from './cinder/cinder.ts';
import { createGlance } from './glance/glance.ts';
import { createNeutron } from './neutron/neutron.ts';
import { createPlacement } from './placement/placement.ts';
import { createRegionController } from './legacy/region-controller.ts';
import { catalogEndpoints, type CatalogStyle } from './keystone/catalog-styles.ts';
import { AmqpNotifier } from './notify/publisher.ts';
import { attachNotifier } from './notify/registry.ts';
import { startBillingSubgraph, type BillingServer } from './billing/server.ts';

export type ServiceName = 'keystone' | 'nova' | 'cinder' | 'glance' | 'neutron' | 'legacy' | 'placement';
export const SERVICE_NAMES: ServiceName[] = ['keystone', 'nova', 'cinder', 'glance', 'neutron', 'legacy', 'placement'];

/** The ports the real services listen on by default. */
export const DEFAULT_PORTS: Record<ServiceName, number> = {
  keystone: 5000,
  nova: 8774,
  cinder: 8776,
  glance: 9292,
  neutron: 9696,
  legacy: 8080,
  placement: 8778,
};

export interface DemoCloudOptions extends BuildCloudOptions {
  /** Fixed latency added to every upstream response (the benchmark uses 5 ms). */
  latencyMs?: number;
  /** Per-service ports; 0 picks a free one. Defaults to DEFAULT_PORTS. */
  ports?: Partial<Record<ServiceName, number>>;
  host?: string;
  /** An older Nova, Cinder or Placement: the highest microversion each offers, e.g. `{ nova: '2.46', cinder: '3.40' }` (default: 2.96, 3.70, 1.39). */
  maxMicroversion?: { nova?: string; cinder?: string; placement?: string };
  /** How Keystone's catalog registers the services (subgraphs/keystone/catalog-styles.ts); default as today. */
  catalogStyle?: CatalogStyle;
  /** Publish the services' notifications to this RabbitMQ (subgraphs/notify/); off when absent. Rejects if unreachable. */
  notifyAmqpUrl?: string;
  /** Prefixed to the exchange names (`nova`, `cinder`, `region-controller`), so clouds sharing a broker stay apart. */
  notifyExchangePrefix?: string;
  /** Start the billing subgraph (subgraphs/billing/) on this MongoDB database, seeded from the cloud; off when absent. */
  billing?: DemoBillingOptions;
  /** Zones whose Nova cell is down: from microversion 2.69 Nova returns their servers as minimal records. Default: none. */
  downCell?: string[];
  /** Add the records real clouds hold and the seed does not (subgraphs/seed/partial-records.ts). Default: off. */
  partialRecords?: boolean;
}

export interface DemoBillingOptions {
  mongoUri: string;
  /** Billing's own database, e.g. `mosaic_billing`. */
  database: string;
  /** The secret the gateway must send (its `subgraphs[].secret`). */
  secret: string;
  port?: number;
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
  /** The notification publisher, when notifyAmqpUrl was given. */
  notifier: AmqpNotifier | null;
  /** The records the partialRecords option added, or null. */
  partialRecords: PartialRecordIds | null;
  /** The billing subgraph, once started (the `billing` option, or startBilling()); closed with the cloud. */
  readonly billing: BillingServer | null;
  startBilling(options: DemoBillingOptions): Promise<BillingServer>;
  /** Mosaic's Keystone service account (role `service` in project `service`): it may read revocation events. */
  keystoneServiceUser: string;
  keystoneServicePassword: string;
  setFaults(service: ServiceName, faults: Partial<Faults>): void;
  resetStats(): void;
  close(): Promise<void>;
}

export async function startDemoCloud(options: DemoCloudOptions = {}): Promise<DemoCloud> {
  const cloud = buildCloud(options);
  if (options.downCell?.length) cloud.downCellZones = new Set(options.downCell);
  const partialRecords = options.partialRecords ? addPartialRecords(cloud) : null;
  const notifier = options.notifyAmqpUrl ? await AmqpNotifier.connect(options.notifyAmqpUrl, options.notifyExchangePrefix) : null;
  if (notifier) attachNotifier(cloud, notifier);
  const emulators: Record<ServiceName, Emulator> = {
    keystone: createKeystone(cloud),
    nova: createNova(cloud, { maxMicroversion: options.maxMicroversion?.nova }),
    cinder: createCinder(cloud, { maxMicroversion: options.maxMicroversion?.cinder }),
    glance: createGlance(cloud),
    neutron: createNeutron(cloud),
    legacy: createRegionController(cloud),
    placement: createPlacement(cloud, { maxMicroversion: options.maxMicroversion?.placement }),
  };
  const host = options.host ?? '127.0.0.1';
  const urls = {} as Record<ServiceName, string>;
  try {
    for (const name of SERVICE_NAMES) {
      urls[name] = await emulators[name].listen(options.ports?.[name] ?? DEFAULT_PORTS[name], host);
    }
  } catch (err) {
    await Promise.all(SERVICE_NAMES.map((n) => (urls[n] ? emulators[n].close() : undefined)));
    await notifier?.close();
    throw err;
  }
  const endpoints = catalogEndpoints(urls, options.catalogStyle);
  cloud.catalog = endpoints.flatMap(([serviceType, serviceName, url]) =>
    (['public', 'internal', 'admin'] as const).map((iface) => ({ serviceType, serviceName, interface: iface, region: cloud.region, url })),
  );
  if (options.latencyMs) for (const name of SERVICE_NAMES) emulators[name].setFaults({ latencyMs: options.latencyMs });

  let billing: BillingServer | null = null;
  const startBilling = async (b: DemoBillingOptions) => {
    billing ??= await startBillingSubgraph({
      mongoUri: b.mongoUri,
      database: b.database,
      secret: b.secret,
      port: b.port ?? 0,
      host,
      seedFrom: cloud,
    });
    return billing;
  };
  const demo: DemoCloud = {
    cloud,
    emulators,
    urls,
    keystoneUrl: `${urls.keystone}/v3`,
    legacyUrl: urls.legacy,
    legacyApiKey: cloud.legacyApiKey,
    notifier,
    partialRecords,
    keystoneServiceUser: DEMO_SERVICE_USER.name,
    keystoneServicePassword: DEMO_SERVICE_USER.password,
    setFaults: (service, faults) => void emulators[service].setFaults(faults),
    resetStats: () => SERVICE_NAMES.forEach((n) => emulators[n].reset()),
    get billing() {
      return billing;
    },
    startBilling,
    close: async () => {
      await billing?.close();
      await Promise.all(SERVICE_NAMES.map((n) => emulators[n].close()));
      await notifier?.close();
    },
  };
  if (options.billing) {
    try {
      await startBilling(options.billing);
    } catch (err) {
      await demo.close();
      throw err;
    }
  }
  return demo;
}
