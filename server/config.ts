// Mosaic's configuration: read once at start-up from mosaic.config.yaml (or --config) and the environment,
// validated in one place. Every message names the option's path, and every duration or size has its unit in
// its name, so a wrong value fails loudly before the first request rather than at it.
import fs from 'node:fs';
import YAML from 'yaml';

export type Runtime = 'mercurius' | 'apollo';
export type CatalogInterface = 'public' | 'internal' | 'admin';
export type UpstreamName = 'keystone' | 'nova' | 'cinder' | 'glance' | 'neutron' | 'legacy';
export const UPSTREAMS: UpstreamName[] = ['keystone', 'nova', 'cinder', 'glance', 'neutron', 'legacy'];

export interface MosaicConfig {
  server: { host: string; port: number; runtime: Runtime; graphiql: boolean; bodyLimitBytes: number; maxDepth: number };
  keystone: { url: string; region: string; interface: CatalogInterface; tokenCacheMaxMs: number };
  legacy: { url: string; apiKey: string };
  upstreams: Record<UpstreamName, { timeoutMs: number; retries: number }>;
  batching: { maxWaitMs: number; maxUrlBytes: number; concurrency: number };
  mongodb: { uri: string | null; database: string; timeoutMs: number };
  fleet: { cacheTtlMs: number };
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'MOSAIC_ERR_CONFIG';
}

const DEFAULTS = {
  server: { host: '127.0.0.1', port: 4000, runtime: 'mercurius', graphiql: true, bodyLimitBytes: 1_048_576, maxDepth: 12 },
  keystone: { url: 'http://127.0.0.1:5000/v3', region: 'RegionOne', interface: 'public', tokenCacheMaxMs: 300_000 },
  legacy: { url: 'http://127.0.0.1:8080', apiKey: '' },
  upstreamDefaults: { timeoutMs: 5_000, retries: 2 },
  batching: { maxWaitMs: 50, maxUrlBytes: 4_000, concurrency: 16 },
  mongodb: { uri: null, database: 'mosaic', timeoutMs: 3_000 },
  fleet: { cacheTtlMs: 10_000 },
} as const;

type Raw = Record<string, unknown>;

const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

function section(raw: Raw, key: string): Raw {
  const value = raw[key];
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw new ConfigError(`config: "${key}" must be a mapping`);
  return value;
}

function pick<T>(obj: Raw, path: string, key: string, fallback: T, check: (v: unknown) => string | null): T {
  const value = obj[key];
  if (value === undefined) return fallback;
  const problem = check(value);
  if (problem) throw new ConfigError(`config: "${path}.${key}" ${problem} (got ${JSON.stringify(value)})`);
  return value as T;
}

const positiveInt = (max = Number.MAX_SAFE_INTEGER) => (v: unknown) =>
  Number.isInteger(v) && (v as number) >= 0 && (v as number) <= max ? null : `must be an integer from 0 to ${max}`;
const nonEmptyString = (v: unknown) => (typeof v === 'string' && v.length > 0 ? null : 'must be a non-empty string');
const httpUrl = (v: unknown) => {
  if (typeof v !== 'string') return 'must be an http(s) URL';
  try {
    const u = new URL(v);
    return u.protocol === 'http:' || u.protocol === 'https:' ? null : 'must be an http(s) URL';
  } catch {
    return 'must be an http(s) URL';
  }
};
const oneOf = (...values: string[]) => (v: unknown) => (values.includes(v as string) ? null : `must be one of ${values.join(', ')}`);
const boolean = (v: unknown) => (typeof v === 'boolean' ? null : 'must be true or false');

const KNOWN_TOP = ['server', 'keystone', 'legacy', 'upstreams', 'batching', 'mongodb', 'fleet'];

/** Validates a raw config object (from YAML, merged with env) into a complete MosaicConfig. */
export function validateConfig(raw: Raw): MosaicConfig {
  for (const key of Object.keys(raw)) {
    if (!KNOWN_TOP.includes(key)) throw new ConfigError(`config: unknown option "${key}" (known: ${KNOWN_TOP.join(', ')})`);
  }
  const s = section(raw, 'server');
  const k = section(raw, 'keystone');
  const l = section(raw, 'legacy');
  const u = section(raw, 'upstreams');
  const b = section(raw, 'batching');
  const m = section(raw, 'mongodb');
  const f = section(raw, 'fleet');
  const D = DEFAULTS;

  const upstreams = {} as MosaicConfig['upstreams'];
  for (const key of Object.keys(u)) {
    if (key !== 'default' && !UPSTREAMS.includes(key as UpstreamName)) {
      throw new ConfigError(`config: unknown option "upstreams.${key}" (known: default, ${UPSTREAMS.join(', ')})`);
    }
  }
  const defaults = section(u, 'default');
  const base = {
    timeoutMs: pick(defaults, 'upstreams.default', 'timeoutMs', D.upstreamDefaults.timeoutMs as number, positiveInt(600_000)),
    retries: pick(defaults, 'upstreams.default', 'retries', D.upstreamDefaults.retries as number, positiveInt(5)),
  };
  for (const name of UPSTREAMS) {
    const own = section(u, name);
    upstreams[name] = {
      timeoutMs: pick(own, `upstreams.${name}`, 'timeoutMs', base.timeoutMs, positiveInt(600_000)),
      retries: pick(own, `upstreams.${name}`, 'retries', base.retries, positiveInt(5)),
    };
  }

  return {
    server: {
      host: pick(s, 'server', 'host', D.server.host as string, nonEmptyString),
      port: pick(s, 'server', 'port', D.server.port as number, positiveInt(65_535)),
      runtime: pick(s, 'server', 'runtime', D.server.runtime as Runtime, oneOf('mercurius', 'apollo')),
      graphiql: pick(s, 'server', 'graphiql', D.server.graphiql as boolean, boolean),
      bodyLimitBytes: pick(s, 'server', 'bodyLimitBytes', D.server.bodyLimitBytes as number, positiveInt(100_000_000)),
      maxDepth: pick(s, 'server', 'maxDepth', D.server.maxDepth as number, positiveInt(100)),
    },
    keystone: {
      url: pick(k, 'keystone', 'url', D.keystone.url as string, httpUrl).replace(/\/+$/, ''),
      region: pick(k, 'keystone', 'region', D.keystone.region as string, nonEmptyString),
      interface: pick(k, 'keystone', 'interface', D.keystone.interface as CatalogInterface, oneOf('public', 'internal', 'admin')),
      tokenCacheMaxMs: pick(k, 'keystone', 'tokenCacheMaxMs', D.keystone.tokenCacheMaxMs as number, positiveInt(300_000)),
    },
    legacy: {
      url: pick(l, 'legacy', 'url', D.legacy.url as string, httpUrl).replace(/\/+$/, ''),
      apiKey: pick(l, 'legacy', 'apiKey', D.legacy.apiKey as string, (v) => (typeof v === 'string' ? null : 'must be a string')),
    },
    upstreams,
    batching: {
      maxWaitMs: pick(b, 'batching', 'maxWaitMs', D.batching.maxWaitMs as number, positiveInt(10_000)),
      maxUrlBytes: pick(b, 'batching', 'maxUrlBytes', D.batching.maxUrlBytes as number, (v) =>
        Number.isInteger(v) && (v as number) >= 512 && (v as number) <= 65_536 ? null : 'must be an integer from 512 to 65536'),
      concurrency: pick(b, 'batching', 'concurrency', D.batching.concurrency as number, (v) =>
        Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 256 ? null : 'must be an integer from 1 to 256'),
    },
    mongodb: {
      uri: pick(m, 'mongodb', 'uri', D.mongodb.uri as string | null, (v) => (v === null || (typeof v === 'string' && /^mongodb(\+srv)?:\/\//.test(v)) ? null : 'must be a mongodb:// URI')),
      database: pick(m, 'mongodb', 'database', D.mongodb.database as string, nonEmptyString),
      timeoutMs: pick(m, 'mongodb', 'timeoutMs', D.mongodb.timeoutMs as number, positiveInt(600_000)),
    },
    fleet: { cacheTtlMs: pick(f, 'fleet', 'cacheTtlMs', D.fleet.cacheTtlMs as number, positiveInt(3_600_000)) },
  };
}

/** Environment variables that override the file, for containers and CI. */
const ENV: [string, string[], (v: string) => unknown][] = [
  ['MOSAIC_HOST', ['server', 'host'], String],
  ['MOSAIC_PORT', ['server', 'port'], Number],
  ['MOSAIC_RUNTIME', ['server', 'runtime'], String],
  ['MOSAIC_KEYSTONE_URL', ['keystone', 'url'], String],
  ['MOSAIC_REGION', ['keystone', 'region'], String],
  ['MOSAIC_INTERFACE', ['keystone', 'interface'], String],
  ['MOSAIC_LEGACY_URL', ['legacy', 'url'], String],
  ['MOSAIC_LEGACY_API_KEY', ['legacy', 'apiKey'], String],
  ['MONGODB_URI', ['mongodb', 'uri'], String],
];

export function applyEnv(raw: Raw, env: NodeJS.ProcessEnv = process.env): Raw {
  const out: Raw = structuredClone(raw);
  for (const [name, [sec, key], convert] of ENV) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    const target = (out[sec] = isObject(out[sec]) ? out[sec] : {}) as Raw;
    target[key] = convert(value);
  }
  return out;
}

/** Reads the file (when present), applies the environment and validates. */
export function loadConfig(path?: string, env: NodeJS.ProcessEnv = process.env, overrides: Raw = {}): MosaicConfig {
  const file = path ?? (fs.existsSync('mosaic.config.yaml') ? 'mosaic.config.yaml' : undefined);
  let raw: Raw = {};
  if (file) {
    let parsed: unknown;
    try {
      parsed = YAML.parse(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      throw new ConfigError(`config: cannot read ${file}: ${(err as Error).message}`);
    }
    if (parsed !== null && parsed !== undefined && !isObject(parsed)) throw new ConfigError(`config: ${file} must hold a mapping`);
    raw = (parsed as Raw) ?? {};
  }
  const merged = applyEnv(raw, env);
  for (const [sec, value] of Object.entries(overrides)) {
    merged[sec] = { ...(isObject(merged[sec]) ? merged[sec] : {}), ...(value as Raw) };
  }
  return validateConfig(merged);
}
