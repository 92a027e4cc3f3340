// `npm run build` and the image's runtime stage, without Docker: the real build script (deploy/build.mjs) compiles
// into an app directory laid out as the image's /app (dist/ and package.json; node_modules/ are found by walking
// up to the checkout's), then the Dockerfile's own CMD runs there with its own ENV and plain node (no tsx, no loader
// flags) against a test cloud. Only the listening address differs from the image: loopback and a free port.
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken, startTestCloud, type DemoCloud } from '../helpers/cloud.ts';
import { readTypeDefs } from '../../server/schema.ts';
import { cmdOf, envOf, readDockerfile, runtimeStage } from './dockerfile.ts';
import { cleanEnv, startGatewayProcess, type GatewayProcess } from './gateway-process.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
const image = runtimeStage(readDockerfile(join(ROOT, 'Dockerfile')));
const CMD = cmdOf(image);

let app: string;
let dist: string;
let cloud: DemoCloud;
let gateway: GatewayProcess | undefined;

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** The environment of the image's runtime stage, with the test's upstreams and a loopback listener. */
const imageEnv = (extra: Record<string, string> = {}) => {
  const env = cleanEnv({ ...envOf(image), MOSAIC_HOST: '127.0.0.1', MOSAIC_PORT: '0', ...extra });
  delete env.NODE_OPTIONS; // nothing may preload a loader into the compiled gateway
  return env;
};

beforeAll(async () => {
  mkdirSync(join(ROOT, '.data'), { recursive: true });
  app = mkdtempSync(join(ROOT, '.data', 'build-test-'));
  dist = join(app, 'dist');
  await run(process.execPath, ['deploy/build.mjs', dist], { cwd: ROOT }).catch((err) => {
    throw new Error(`npm run build failed:\n${err.stdout}${err.stderr}`);
  });
  copyFileSync(join(ROOT, 'package.json'), join(app, 'package.json'));
  cloud = await startTestCloud();
}, 300_000);

afterAll(async () => {
  await gateway?.stop();
  await cloud?.close();
  if (app) rmSync(app, { recursive: true, force: true });
});

describe('npm run build', () => {
  it('compiles the production folders to JavaScript, with the schema beside them and nothing of the emulators, demo or tests', () => {
    expect(readdirSync(dist).sort()).toEqual(['core', 'datasources', 'resolvers', 'schema', 'server']);
    const files = filesUnder(dist).map((f) => relative(dist, f));
    expect(files.filter((f) => f.endsWith('.ts'))).toEqual([]);
    expect(files).toContain('server/cli.js');
    expect(readdirSync(join(dist, 'schema')).sort()).toEqual(
      readdirSync(join(ROOT, 'schema'))
        .filter((f) => f.endsWith('.graphql'))
        .sort(),
    );
  });

  it('rewrites every relative import to a .js file that exists, and imports only runtime dependencies (the image runs npm ci --omit=dev)', () => {
    const builtins = new Set(builtinModules);
    const wrong: string[] = [];
    for (const file of filesUnder(dist).filter((f) => f.endsWith('.js'))) {
      const code = readFileSync(file, 'utf8');
      const specs = [...code.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)["']([^"']+)["']/g)].map((m) => m[1]);
      for (const spec of specs) {
        if (spec.startsWith('.')) {
          const target = join(file, '..', spec);
          if (!spec.endsWith('.js') || !existsSync(target)) wrong.push(`${relative(dist, file)}: ${spec}`);
          continue;
        }
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
        if (!spec.startsWith('node:') && !builtins.has(name) && !(name in pkg.dependencies)) wrong.push(`${relative(dist, file)}: ${spec}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('prints the schema from the compiled CLI, read from dist/schema', async () => {
    const { stdout } = await run(process.execPath, [join(dist, 'server', 'cli.js'), 'schema'], { cwd: app, env: imageEnv() });
    expect(stdout).toBe(readTypeDefs());
  });
});

describe("the image's runtime stage", () => {
  it('starts with its own CMD and ENV on plain node, answers /healthz and a real query', async () => {
    expect(CMD[0]).toBe('node');
    gateway = await startGatewayProcess(CMD.slice(1), {
      cwd: app,
      env: imageEnv({ MOSAIC_KEYSTONE_URL: cloud.keystoneUrl, MOSAIC_LEGACY_URL: cloud.legacyUrl, MOSAIC_LEGACY_API_KEY: cloud.legacyApiKey }),
    });
    expect(gateway.child.spawnargs.slice(1)).toEqual(CMD.slice(1));
    const health = await fetch(gateway.url.replace(/\/graphql$/, '/healthz'));
    expect(health.status).toBe(200);
    const { token } = await issueToken(cloud, 'admin');
    const { status, body } = await gateway.query('{ zones { name } }', token);
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data.zones.map((z: { name: string }) => z.name).sort()).toEqual(cloud.cloud.zones.map((z) => z.name).sort());
  });
});
