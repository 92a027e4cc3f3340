// clouds.yaml and OS_* variables as Mosaic's own Keystone settings, read the way the OpenStack CLI and SDK read
// them, and their place in the configuration's precedence: mosaic.config.yaml < clouds.yaml / OS_* < MOSAIC_* <
// command-line overrides. Temp files and env objects only; nothing reads the real home directory.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findCloudsYaml, keystoneV3Url, openStackConfig } from '../../server/openstack-config.ts';
import { loadConfig } from '../../server/load-config.ts';
import { ConfigError } from '../../core/config.ts';

const CLOUDS = `
clouds:
  prod:
    auth:
      auth_url: https://keystone.example.com:5000
      username: mosaic
      password: s3cret
      project_name: service
      user_domain_name: Default
    region_name: RegionTwo
    interface: internal
  old:
    auth: { auth_url: "https://old.example.com/identity/v2.0/" }
    endpoint_type: publicURL
`;

let dir: string;
/** A fresh directory tree: a home, a working directory and an /etc stand-in, all empty. */
function places() {
  const root = fs.mkdtempSync(path.join(dir, 'p-'));
  for (const d of ['home/.config/openstack', 'cwd', 'etc']) fs.mkdirSync(path.join(root, d), { recursive: true });
  return { root, home: path.join(root, 'home'), cwd: path.join(root, 'cwd'), etcDir: path.join(root, 'etc') };
}
/** The minimal mosaic.config.yaml every loadConfig test starts from. */
function mosaicFile(root: string, extra = ''): string {
  const file = path.join(root, 'mosaic.config.yaml');
  fs.writeFileSync(file, `keystone: { url: https://file.example.com/v3, region: FileRegion }\nlegacy: { url: http://legacy, apiKey: k }\n${extra}`);
  return file;
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-openstack-config-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('openStackConfig', () => {
  it('maps the OS_CLOUD entry of ~/.config/openstack/clouds.yaml onto keystone, auth_url ending in /v3', () => {
    const p = places();
    fs.writeFileSync(path.join(p.home, '.config/openstack/clouds.yaml'), CLOUDS);
    expect(openStackConfig({ HOME: p.home, OS_CLOUD: 'prod' }, p)).toEqual({
      keystone: {
        url: 'https://keystone.example.com:5000/v3',
        region: 'RegionTwo',
        interface: 'internal',
        serviceUser: 'mosaic',
        servicePassword: 's3cret',
        serviceProject: 'service',
      },
    });
  });

  it('rewrites a v2.0 auth_url to v3 and reads the old clients’ publicURL interface', () => {
    const p = places();
    fs.writeFileSync(path.join(p.etcDir, 'clouds.yaml'), CLOUDS);
    expect(openStackConfig({ HOME: p.home, OS_CLOUD: 'old' }, p)).toEqual({
      keystone: { url: 'https://old.example.com/identity/v3', interface: 'public' },
    });
    expect(keystoneV3Url('https://k.example.com/v3/')).toBe('https://k.example.com/v3');
  });

  it('looks in ./ first, then ~/.config/openstack/, then /etc/openstack/, and OS_CLIENT_CONFIG_FILE before all', () => {
    const p = places();
    const home = path.join(p.home, '.config/openstack/clouds.yaml');
    const etc = path.join(p.etcDir, 'clouds.yml');
    fs.writeFileSync(etc, CLOUDS);
    expect(findCloudsYaml({ HOME: p.home }, p)).toBe(etc);
    fs.writeFileSync(home, CLOUDS);
    expect(findCloudsYaml({ HOME: p.home }, p)).toBe(home);
    fs.writeFileSync(path.join(p.cwd, 'clouds.yaml'), CLOUDS);
    expect(findCloudsYaml({ HOME: p.home }, p)).toBe(path.join(p.cwd, 'clouds.yaml'));
    const explicit = path.join(p.root, 'elsewhere.yaml');
    fs.writeFileSync(explicit, CLOUDS);
    expect(findCloudsYaml({ HOME: p.home, OS_CLIENT_CONFIG_FILE: explicit }, p)).toBe(explicit);
  });

  it('lets OS_* variables override the entry, and apply alone without OS_CLOUD', () => {
    const p = places();
    fs.writeFileSync(path.join(p.cwd, 'clouds.yaml'), CLOUDS);
    const env = { HOME: p.home, OS_CLOUD: 'prod', OS_REGION_NAME: 'RegionThree', OS_PASSWORD: 'from-env' };
    expect(openStackConfig(env, p)).toMatchObject({ keystone: { region: 'RegionThree', servicePassword: 'from-env', serviceUser: 'mosaic' } });
    expect(openStackConfig({ HOME: p.home, OS_AUTH_URL: 'http://10.0.0.5/identity', OS_INTERFACE: 'admin' }, p)).toEqual({
      keystone: { url: 'http://10.0.0.5/identity/v3', interface: 'admin' },
    });
    expect(openStackConfig({ HOME: p.home }, p)).toEqual({});
  });

  it('stops start-up when OS_CLOUD names a cloud that no clouds.yaml holds', () => {
    const p = places();
    expect(() => openStackConfig({ HOME: p.home, OS_CLOUD: 'prod' }, p)).toThrow(/no clouds.yaml was found/);
    fs.writeFileSync(path.join(p.cwd, 'clouds.yaml'), CLOUDS);
    expect(() => openStackConfig({ HOME: p.home, OS_CLOUD: 'staging' }, p)).toThrow(ConfigError);
    expect(() => openStackConfig({ HOME: p.home, OS_CLOUD: 'staging' }, p)).toThrow(/"staging" is not an entry .*clouds: prod, old/);
  });
});

describe('loadConfig with clouds.yaml', () => {
  it('ranks mosaic.config.yaml < clouds.yaml / OS_* < MOSAIC_* < overrides', () => {
    const p = places();
    const clouds = path.join(p.root, 'clouds.yaml');
    fs.writeFileSync(clouds, CLOUDS);
    const file = mosaicFile(p.root, 'server: { port: 4100 }\n');
    const env = { HOME: p.home, OS_CLIENT_CONFIG_FILE: clouds, OS_CLOUD: 'prod' };

    const fromClouds = loadConfig(file, env);
    expect(fromClouds.keystone).toMatchObject({
      url: 'https://keystone.example.com:5000/v3',
      region: 'RegionTwo',
      interface: 'internal',
      serviceUser: 'mosaic',
      servicePassword: 's3cret',
      serviceProject: 'service',
    });
    expect(fromClouds.server.port).toBe(4100);

    const withMosaicEnv = loadConfig(file, {
      ...env,
      OS_REGION_NAME: 'FromOs',
      MOSAIC_REGION: 'FromMosaic',
      MOSAIC_KEYSTONE_URL: 'https://m.example.com/v3',
    });
    expect(withMosaicEnv.keystone).toMatchObject({ region: 'FromMosaic', url: 'https://m.example.com/v3', serviceUser: 'mosaic' });

    const withOverrides = loadConfig(file, { ...env, MOSAIC_REGION: 'FromMosaic' }, { keystone: { region: 'FromCli' } });
    expect(withOverrides.keystone.region).toBe('FromCli');
  });

  it('keeps mosaic.config.yaml as it is without OS_CLOUD or OS_* variables', () => {
    const p = places();
    const config = loadConfig(mosaicFile(p.root), { HOME: p.home });
    expect(config.keystone).toMatchObject({ url: 'https://file.example.com/v3', region: 'FileRegion', serviceUser: '' });
  });
});
