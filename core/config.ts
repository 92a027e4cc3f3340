// Mosaic's configuration: its types and its one validator. Every option is checked once at start-up with its
// path in the message (`config: "batching.concurrency" must be an integer from 1 to 256 (got 0)`); an unknown key
// is an error in every section, so a typo such as `server.prot` fails loudly instead of leaving the default in
// force; durations and sizes carry their unit in their name; the result is frozen. Reading the file and the
// environment is server/load-config.ts.
import { UPSTREAMS, type UpstreamName } from './services.ts';

export type Runtime = 'mercurius' | 'apollo';
export type CatalogInterface = 'public' | 'internal' | 'admin';

export interface MosaicConfig {
  server: {
    host: string;
    port: number;
    runtime: Runtime;
    graphiql: boolean;
    bodyLimitBytes: number;
    maxDepth: number;
    maxAliases: number;
    maxRootFields: number;
    maxDirectives: number;
    maxTokens: number;
    maxUpstreamCalls: number;
    maxNodeIds: number;
    /** Estimated upstream records a query may touch, from learned list sizes (query-cost.ts); 0 = off. */
    maxCost: number;
    /** Admission (server/limits/admission.ts): a query estimated at this cost or more is heavy; 0 = no admission. */
    heavyCost: number;
    /** Heavy requests executing at once; the rest wait in a FIFO queue. */
    maxHeavyInFlight: number;
    /** Heavy requests waiting at most; past it MOSAIC_ERR_OVERLOADED (503). */
    maxHeavyQueued: number;
    /** How long a heavy request may wait for a slot before MOSAIC_ERR_OVERLOADED (503). */
    heavyQueueTimeoutMs: number;
    /**
     * Memory the heavy requests executing at once may expect to hold, MB (server/limits/admission.ts: their cost
     * estimates × HEAVY_BYTES_PER_VALUE); 0 = half of V8's heap limit, which Node sizes from a container's limit.
     */
    heavyMemoryMb: number;
    /** On SIGTERM/SIGINT: how long in-flight requests may take to finish before the process exits. */
    drainMs: number;
  };
  keystone: {
    url: string;
    region: string;
    interface: CatalogInterface;
    tokenCacheMaxMs: number;
    /** Mosaic's own Keystone account, used only to read revocation events (empty = no account). */
    serviceUser: string;
    servicePassword: string;
    serviceProject: string;
    /** How often revocation events are read from Keystone; 0 = never (validated tokens are then cached ≤ 5 s). */
    revocationPollMs: number;
  };
  legacy: { url: string; apiKey: string };
  upstreams: Record<UpstreamName, { timeoutMs: number; retries: number }>;
  batching: { maxWaitMs: number; maxUrlBytes: number; concurrency: number };
  mongodb: { uri: string | null; database: string; timeoutMs: number };
  fleet: { cacheTtlMs: number };
  /** Who may introspect the schema, and who gets "Did you mean" hints: callers with a valid token (default), everyone, or nobody. */
  security: {
    introspection: 'authenticated' | 'everyone' | 'nobody';
    suggestions: 'authenticated' | 'everyone' | 'nobody';
    /** `enforce`: only registered documents run (administrators excepted); `off`: any document runs. */
    trustedOperations: 'off' | 'enforce';
    /** Automatic persisted queries: any client may register a document by sending it with its hash (development). */
    apq: boolean;
  };
  /** A circuit breaker per upstream: open after `errorPercent` of at least `minCalls` calls in `windowMs` failed. */
  breaker: { enabled: boolean; windowMs: number; minCalls: number; errorPercent: number; openMs: number };
  /** Requests per caller (token's user, or client IP without one) per window; 0 = unlimited. */
  rateLimit: { max: number; windowMs: number };
  /** Shared state for replicas (token cache, revocations, fleet cache, rate limits); null = in process. */
  redis: { url: string | null; keyPrefix: string };
  /** pino log level; Prometheus /metrics; OpenTelemetry traces (`auto` = when OTEL_EXPORTER_OTLP_* is set). */
  observability: { logLevel: LogLevel; metrics: boolean; tracing: 'auto' | 'on' | 'off' };
  /**
   * The cloud's notifications (datasources/events/): the RabbitMQ URL (null = no bus: operations and subscriptions
   * fall back to polling), the services' topic exchanges, the subscription limits per WebSocket and per caller, and
   * how often Nova's `changes-since` is polled for instanceEvents while no bus is consumed.
   */
  events: {
    amqpUrl: string | null;
    exchanges: readonly string[];
    maxSubscriptionsPerConnection: number;
    maxSubscriptionsPerCaller: number;
    pollIntervalMs: number;
  };
  /**
   * GraphQL subgraphs joined to the graph by entity keys (server/federation/): each one's name (its service name in
   * errors, metrics and its circuit breaker), URL, the secret it trusts the gateway by, and its timeout. Each also
   * appears in `upstreams` under its name (retries 0: its calls are POSTs), so the one HTTP client applies it.
   */
  subgraphs: readonly SubgraphConfig[];
}

export interface SubgraphConfig {
  name: string;
  url: string;
  secret: string;
  timeoutMs: number;
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'MOSAIC_ERR_CONFIG';
}

type Raw = Record<string, unknown>;
/** A check returns null when the value is acceptable, or what is wrong with it. */
type Check = (v: unknown) => string | null;
type Option<T> = readonly [fallback: T, check: Check];

export const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

const int =
  (min: number, max: number): Check =>
  (v) =>
    Number.isInteger(v) && (v as number) >= min && (v as number) <= max ? null : `must be an integer from ${min} to ${max}`;
const nonEmptyString: Check = (v) => (typeof v === 'string' && v.length > 0 ? null : 'must be a non-empty string');
const anyString: Check = (v) => (typeof v === 'string' ? null : 'must be a string');
const boolean: Check = (v) => (typeof v === 'boolean' ? null : 'must be true or false');
const oneOf =
  (...values: string[]): Check =>
  (v) =>
    values.includes(v as string) ? null : `must be one of ${values.join(', ')}`;
const httpUrl: Check = (v) => {
  try {
    const u = new URL(v as string);
    return u.protocol === 'http:' || u.protocol === 'https:' ? null : 'must be an http(s) URL';
  } catch {
    return 'must be an http(s) URL';
  }
};
const redisUri: Check = (v) => (v === null || (typeof v === 'string' && /^rediss?:\/\//.test(v)) ? null : 'must be a redis:// URI');
const amqpUri: Check = (v) => (v === null || (typeof v === 'string' && /^amqps?:\/\//.test(v)) ? null : 'must be an amqp:// URI');
const nameList: Check = (v) =>
  Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string' && /^[\w.:-]{1,255}$/.test(x))
    ? null
    : 'must be a non-empty list of exchange names';
const mongoUri: Check = (v) => (v === null || (typeof v === 'string' && /^mongodb(\+srv)?:\/\//.test(v)) ? null : 'must be a mongodb:// URI');

/** Every section's options with their defaults and checks: the one place an option is declared. */
const SECTIONS = {
  server: {
    host: ['127.0.0.1', nonEmptyString],
    port: [4000, int(0, 65_535)],
    runtime: ['mercurius', oneOf('mercurius', 'apollo')],
    graphiql: [true, boolean],
    bodyLimitBytes: [1_048_576, int(0, 100_000_000)],
    maxDepth: [12, int(0, 100)],
    maxAliases: [30, int(0, 10_000)],
    maxRootFields: [20, int(1, 10_000)],
    maxDirectives: [30, int(0, 10_000)],
    maxTokens: [5_000, int(100, 1_000_000)],
    maxUpstreamCalls: [500, int(1, 1_000_000)],
    maxNodeIds: [100, int(1, 10_000)],
    maxCost: [250_000, int(0, 100_000_000)],
    heavyCost: [2_000, int(0, 100_000_000)],
    maxHeavyInFlight: [8, int(1, 100_000)],
    maxHeavyQueued: [256, int(0, 100_000)],
    heavyQueueTimeoutMs: [10_000, int(1, 600_000)],
    heavyMemoryMb: [0, int(0, 1_000_000)],
    drainMs: [10_000, int(0, 600_000)],
  },
  keystone: {
    url: ['http://127.0.0.1:5000/v3', httpUrl],
    region: ['RegionOne', nonEmptyString],
    interface: ['public', oneOf('public', 'internal', 'admin')],
    tokenCacheMaxMs: [300_000, int(0, 300_000)],
    serviceUser: ['', anyString],
    servicePassword: ['', anyString],
    serviceProject: ['service', nonEmptyString],
    revocationPollMs: [2_000, int(0, 60_000)],
  },
  legacy: { url: ['http://127.0.0.1:8080', httpUrl], apiKey: ['', anyString] },
  batching: { maxWaitMs: [50, int(0, 10_000)], maxUrlBytes: [4_000, int(512, 65_536)], concurrency: [16, int(1, 256)] },
  mongodb: { uri: [null, mongoUri], database: ['mosaic', nonEmptyString], timeoutMs: [3_000, int(0, 600_000)] },
  fleet: { cacheTtlMs: [10_000, int(0, 3_600_000)] },
  security: {
    introspection: ['authenticated', oneOf('authenticated', 'everyone', 'nobody')],
    suggestions: ['authenticated', oneOf('authenticated', 'everyone', 'nobody')],
    trustedOperations: ['off', oneOf('off', 'enforce')],
    apq: [false, boolean],
  },
  breaker: {
    enabled: [true, boolean],
    windowMs: [10_000, int(100, 600_000)],
    minCalls: [20, int(1, 100_000)],
    errorPercent: [50, int(1, 100)],
    openMs: [5_000, int(10, 600_000)],
  },
  rateLimit: { max: [1_200, int(0, 10_000_000)], windowMs: [60_000, int(1_000, 3_600_000)] },
  redis: { url: [null, redisUri], keyPrefix: ['mosaic:', nonEmptyString] },
  observability: {
    logLevel: ['info', oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent')],
    metrics: [true, boolean],
    tracing: ['auto', oneOf('auto', 'on', 'off')],
  },
  events: {
    amqpUrl: [null, amqpUri],
    // oslo.messaging publishes on each service's control_exchange: `nova`, `cinder` (the region controller: ours).
    exchanges: [['nova', 'cinder', 'region-controller'], nameList],
    maxSubscriptionsPerConnection: [20, int(1, 10_000)],
    maxSubscriptionsPerCaller: [100, int(1, 1_000_000)],
    // instanceEvents without a bus: Nova's servers/detail?changes-since=… this often, only while someone subscribes.
    pollIntervalMs: [2_000, int(100, 600_000)],
  },
} as const satisfies Record<string, Record<string, Option<unknown>>>;

const UPSTREAM_OPTIONS = { timeoutMs: [5_000, int(0, 600_000)], retries: [2, int(0, 5)] } as const satisfies Record<string, Option<number>>;

const TOP = [...Object.keys(SECTIONS), 'upstreams', 'subgraphs'];

const SUBGRAPH_OPTIONS = {
  name: ['', (v: unknown) => (typeof v === 'string' && /^[a-z][a-z0-9-]{0,62}$/.test(v) ? null : 'must be a lowercase name ([a-z][a-z0-9-]*)')],
  url: ['', httpUrl],
  secret: ['', (v: unknown) => (typeof v === 'string' && v.length >= 16 ? null : 'must be a string of at least 16 characters')],
  timeoutMs: [5_000, int(1, 600_000)],
} as const satisfies Record<string, Option<unknown>>;

/** `subgraphs`: a list of mappings, each checked like a section; names unique and distinct from the built-in services. */
function readSubgraphs(raw: unknown): readonly SubgraphConfig[] {
  if (raw === undefined || raw === null) return Object.freeze([]);
  if (!Array.isArray(raw)) throw new ConfigError('config: "subgraphs" must be a list of { name, url, secret, timeoutMs }');
  const seen = new Set<string>(UPSTREAMS);
  const list = raw.map((item, i) => {
    const path = `subgraphs[${i}]`;
    if (!isObject(item)) throw new ConfigError(`config: "${path}" must be a mapping`);
    for (const key of ['name', 'url', 'secret'] as const) {
      if (item[key] === undefined) throw new ConfigError(`config: "${path}.${key}" is required`);
    }
    const subgraph = readSection(item, path, SUBGRAPH_OPTIONS) as SubgraphConfig;
    if (seen.has(subgraph.name)) throw new ConfigError(`config: "${path}.name" must be unique and not a built-in service (got "${subgraph.name}")`);
    seen.add(subgraph.name);
    return Object.freeze({ ...subgraph, url: subgraph.url.replace(/\/+$/, '') });
  });
  return Object.freeze(list);
}

function mapping(raw: Raw, path: string, key: string): Raw {
  const value = raw[key];
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw new ConfigError(`config: "${path ? `${path}.` : ''}${key}" must be a mapping`);
  return value;
}

function rejectUnknown(raw: Raw, path: string, known: readonly string[]): void {
  for (const key of Object.keys(raw)) {
    const where = path ? `${path}.${key}` : key;
    if (!known.includes(key)) throw new ConfigError(`config: unknown option "${where}" (known: ${known.join(', ')})`);
  }
}

/** One section: unknown keys rejected, each value checked, defaults (or `inherited`) filled in. */
function readSection<S extends Record<string, Option<unknown>>>(
  raw: Raw,
  path: string,
  options: S,
  inherited?: Raw,
): { [K in keyof S]: S[K][0] extends string ? string : S[K][0] } {
  rejectUnknown(raw, path, Object.keys(options));
  const out: Raw = {};
  for (const [key, [fallback, check]] of Object.entries(options)) {
    const value = raw[key];
    if (value === undefined) {
      out[key] = inherited?.[key] ?? fallback;
      continue;
    }
    const problem = check(value);
    if (problem) throw new ConfigError(`config: "${path}.${key}" ${problem} (got ${JSON.stringify(value)})`);
    out[key] = value;
  }
  return out as never;
}

function deepFreeze<T>(value: T): T {
  if (isObject(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** Validates a raw config object (from YAML, merged with env) into a complete, frozen MosaicConfig. */
export function validateConfig(raw: Raw): MosaicConfig {
  rejectUnknown(raw, '', TOP);
  const u = mapping(raw, '', 'upstreams');
  rejectUnknown(u, 'upstreams', ['default', ...UPSTREAMS]);
  const base = readSection(mapping(u, 'upstreams', 'default'), 'upstreams.default', UPSTREAM_OPTIONS);
  const upstreams = Object.fromEntries(
    UPSTREAMS.map((name) => [name, readSection(mapping(u, 'upstreams', name), `upstreams.${name}`, UPSTREAM_OPTIONS, base)]),
  ) as MosaicConfig['upstreams'];
  const section = <K extends keyof typeof SECTIONS>(name: K) => readSection(mapping(raw, '', name), name, SECTIONS[name]);
  const subgraphs = readSubgraphs(raw.subgraphs);
  for (const s of subgraphs) (upstreams as Record<string, { timeoutMs: number; retries: number }>)[s.name] = { timeoutMs: s.timeoutMs, retries: 0 };
  const keystone = section('keystone');
  const legacy = section('legacy');
  const config = {
    server: section('server'),
    keystone: { ...keystone, url: keystone.url.replace(/\/+$/, '') },
    legacy: { ...legacy, url: legacy.url.replace(/\/+$/, '') },
    upstreams,
    batching: section('batching'),
    mongodb: section('mongodb'),
    fleet: section('fleet'),
    security: section('security'),
    breaker: section('breaker'),
    rateLimit: section('rateLimit'),
    redis: section('redis'),
    observability: section('observability'),
    events: section('events'),
    subgraphs,
  };
  if (config.security.trustedOperations === 'enforce' && config.security.apq) {
    throw new ConfigError(
      'config: "security.apq" must be false when "security.trustedOperations" is enforce (any client could register any document)',
    );
  }
  if (config.security.trustedOperations === 'enforce' && !config.mongodb.uri) {
    throw new ConfigError('config: "security.trustedOperations: enforce" needs "mongodb.uri" (the registry of operations lives in MongoDB)');
  }
  return deepFreeze(config as MosaicConfig);
}
