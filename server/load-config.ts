// Reads Mosaic's configuration once at start-up and hands the merged object to core/config.ts's validator. Each
// source overrides the one before: mosaic.config.yaml (or --config) < clouds.yaml (the OS_CLOUD entry) and the
// OS_* variables, as the OpenStack CLI reads them (openstack-config.ts) < the MOSAIC_* variables < command-line
// overrides.
import fs from 'node:fs';
import YAML from 'yaml';
import { ConfigError, isObject, validateConfig, type MosaicConfig } from '../core/config.ts';
import { openStackConfig } from './openstack-config.ts';

type Raw = Record<string, unknown>;

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
  ['MOSAIC_REDIS_URL', ['redis', 'url'], String],
  ['MOSAIC_AMQP_URL', ['events', 'amqpUrl'], String],
  ['MOSAIC_LOG_LEVEL', ['observability', 'logLevel'], String],
  ['MOSAIC_KEYSTONE_SERVICE_USER', ['keystone', 'serviceUser'], String],
  ['MOSAIC_KEYSTONE_SERVICE_PASSWORD', ['keystone', 'servicePassword'], String],
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

/** Reads the file (when present), applies clouds.yaml and OS_*, the MOSAIC_* environment and the overrides, and validates. */
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
  for (const [sec, value] of Object.entries(openStackConfig(env))) {
    raw[sec] = { ...(isObject(raw[sec]) ? raw[sec] : {}), ...(value as Raw) };
  }
  const merged = applyEnv(raw, env);
  for (const [sec, value] of Object.entries(overrides)) {
    merged[sec] = { ...(isObject(merged[sec]) ? merged[sec] : {}), ...(value as Raw) };
  }
  return validateConfig(merged);
}
