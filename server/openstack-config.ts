// Mosaic's Keystone settings the way the OpenStack CLI and SDK users already keep them: `clouds.yaml` (the entry
// OS_CLOUD names) and the OS_* environment variables, read by load-config.ts between mosaic.config.yaml and the
// MOSAIC_* variables. https://docs.openstack.org/openstacksdk/latest/user/config/configuration.html
//   - clouds.yaml is the first of OS_CLIENT_CONFIG_FILE, ./clouds.yaml, ~/.config/openstack/clouds.yaml,
//     /etc/openstack/clouds.yaml (each also as .yml) that exists; it is read only when OS_CLOUD names an entry.
//   - OS_AUTH_URL, OS_REGION_NAME, OS_INTERFACE, OS_USERNAME, OS_PASSWORD, OS_PROJECT_NAME override the entry's
//     values, as the CLI's options (which default to them) override clouds.yaml.
//   - auth_url → keystone.url, ending in /v3 (Mosaic speaks Identity v3 only; a bare root or /v2.0 is rewritten);
//     region_name → keystone.region; interface → keystone.interface (publicURL, internalURL, adminURL as the
//     old clients spelt them are accepted); auth.username/password/project_name → keystone.serviceUser,
//     servicePassword, serviceProject (Mosaic's own account, used to read revocation events).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { ConfigError, isObject } from '../core/config.ts';

type Raw = Record<string, unknown>;

export interface OpenStackConfigPlaces {
  /** Where ./clouds.yaml is looked for (default: the process's working directory). */
  cwd?: string;
  /** The system-wide directory (default /etc/openstack). */
  etcDir?: string;
}

/** auth_url as Mosaic's keystone.url: trailing slashes off, the version path /v3 (Identity v3 is all Mosaic speaks). */
export function keystoneV3Url(authUrl: string): string {
  const trimmed = authUrl.trim().replace(/\/+$/, '');
  if (/\/v3$/.test(trimmed)) return trimmed;
  return `${trimmed.replace(/\/v2\.0$/, '')}/v3`;
}

const INTERFACES: Record<string, string> = { publicurl: 'public', internalurl: 'internal', adminurl: 'admin' };
const normaliseInterface = (value: string) => INTERFACES[value.toLowerCase()] ?? value;

/** The clouds.yaml file the SDK would read, or null when there is none. */
export function findCloudsYaml(env: NodeJS.ProcessEnv, places: OpenStackConfigPlaces = {}): string | null {
  const home = env.HOME || os.homedir();
  const dirs = [places.cwd ?? process.cwd(), path.join(home, '.config', 'openstack'), places.etcDir ?? '/etc/openstack'];
  const candidates = [
    ...(env.OS_CLIENT_CONFIG_FILE ? [env.OS_CLIENT_CONFIG_FILE] : []),
    ...dirs.flatMap((d) => [path.join(d, 'clouds.yaml'), path.join(d, 'clouds.yml')]),
  ];
  return candidates.find((f) => fs.existsSync(f)) ?? null;
}

/** The `clouds.<OS_CLOUD>` entry, or null without OS_CLOUD. A named cloud that cannot be found stops start-up. */
function cloudEntry(env: NodeJS.ProcessEnv, places: OpenStackConfigPlaces): Raw | null {
  const name = env.OS_CLOUD;
  if (!name) return null;
  const file = findCloudsYaml(env, places);
  if (!file) throw new ConfigError(`config: OS_CLOUD is "${name}" but no clouds.yaml was found (./, ~/.config/openstack/, /etc/openstack/)`);
  let parsed: unknown;
  try {
    parsed = YAML.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`config: cannot read ${file}: ${(err as Error).message}`);
  }
  const clouds = isObject(parsed) && isObject(parsed.clouds) ? parsed.clouds : null;
  const entry = clouds?.[name];
  if (!isObject(entry))
    throw new ConfigError(`config: OS_CLOUD "${name}" is not an entry of ${file} (clouds: ${Object.keys(clouds ?? {}).join(', ') || 'none'})`);
  return entry;
}

/**
 * The `keystone` settings clouds.yaml (OS_CLOUD) and the OS_* variables give, as a partial raw config
 * (`{ keystone: {...} }`, or `{}` when neither says anything) for load-config.ts to merge.
 */
export function openStackConfig(env: NodeJS.ProcessEnv = process.env, places: OpenStackConfigPlaces = {}): Raw {
  const entry = cloudEntry(env, places) ?? {};
  const auth = isObject(entry.auth) ? entry.auth : {};
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const pick = (envName: string, fromFile: unknown) => str(env[envName]) ?? str(fromFile);
  const authUrl = pick('OS_AUTH_URL', auth.auth_url);
  const iface = pick('OS_INTERFACE', entry.interface ?? entry.endpoint_type);
  const keystone: Raw = {
    url: authUrl && keystoneV3Url(authUrl),
    region: pick('OS_REGION_NAME', entry.region_name),
    interface: iface && normaliseInterface(iface),
    serviceUser: pick('OS_USERNAME', auth.username),
    servicePassword: pick('OS_PASSWORD', auth.password),
    serviceProject: pick('OS_PROJECT_NAME', auth.project_name),
  };
  for (const key of Object.keys(keystone)) if (keystone[key] === undefined) delete keystone[key];
  return Object.keys(keystone).length ? { keystone } : {};
}
