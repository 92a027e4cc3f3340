// `npm run build [-- OUT_DIR] [--with-bench]`: compiles the production code (core/ datasources/ resolvers/ server/, see
// tsconfig.build.json) with plain tsc into dist/ (or OUT_DIR, which test/deploy/build.test.ts uses to build into a
// temporary directory with this very script), then copies schema/*.graphql beside it. OUT_DIR must sit inside the
// checkout for the result to run: Node finds node_modules/ and package.json's "type": "module" by walking up. Plain Node, no tsx: it runs
// in the image's builder stage before anything is compiled.
//
// `--with-bench` (bench/children.ts, into .data/bench-dist) also compiles bench/gateway-process.ts and what it
// imports (the naive and DataLoader baselines), so `npm run bench` runs every gateway variant as deployed: plain
// node on compiled JavaScript, without tsx's loader, transform cache and source maps (~60 MB of resting RSS).
// There a type error elsewhere in the checkout (someone mid-edit) is reported but does not stop the build: tsc
// still emits, and the bench measures what runs.
//
// Why copy the schema rather than teach server/schema.ts a second path: schema.ts reads `../schema` relative to
// its own file, which from dist/server/schema.js is dist/schema. With the copy, dist/ is self-contained (the image
// needs nothing else of the source tree) and the source and compiled layouts stay the same.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const withBench = args.includes('--with-bench');
const out = path.resolve(root, args.find((a) => !a.startsWith('--')) ?? 'dist');
// The output is deleted first (no stale modules from a previous build), so it must be empty, absent or an earlier
// build: never the checkout, a folder above it or a source folder (`npm run build -- server` must not erase server/).
const holdsRoot = !path.relative(out, root).startsWith('..');
const foreign = existsSync(out) && readdirSync(out).length > 0 && !existsSync(path.join(out, 'server', 'cli.js'));
if (holdsRoot || foreign) {
  console.error(`build: refusing to replace ${out}: it is not an earlier build`);
  process.exit(2);
}
rmSync(out, { recursive: true, force: true });

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
let project = path.join(root, 'tsconfig.build.json');
let scratch = null;
if (withBench) {
  // tsc cannot add a file to a project from the command line: a throw-away project extending the build's, inside
  // the checkout (.data/, ignored) so that @types/node is found from it.
  mkdirSync(path.join(root, '.data'), { recursive: true });
  scratch = mkdtempSync(path.join(root, '.data', 'build-'));
  project = path.join(scratch, 'tsconfig.json');
  const config = { extends: path.join(root, 'tsconfig.build.json'), files: [path.join(root, 'bench', 'gateway-process.ts')] };
  writeFileSync(project, JSON.stringify(config));
}
const compiled = spawnSync(process.execPath, [tsc, '-p', project, '--outDir', out], { cwd: root, stdio: 'inherit' });
if (scratch) rmSync(scratch, { recursive: true, force: true });
if (compiled.status !== 0 && withBench && existsSync(path.join(out, 'bench', 'gateway-process.js'))) {
  console.error('build: tsc reported errors (above); the bench build goes on with what it emitted');
} else if (compiled.status !== 0) {
  console.error(`build: tsc failed (exit ${compiled.status ?? compiled.signal})`);
  process.exit(1);
}

// schema/ is flat: one *.graphql per domain.
const schemas = readdirSync(path.join(root, 'schema')).filter((f) => f.endsWith('.graphql'));
mkdirSync(path.join(out, 'schema'));
for (const file of schemas) copyFileSync(path.join(root, 'schema', file), path.join(out, 'schema', file));
console.log(`build: ${out} (${schemas.length} schema files); run it with: node ${path.join(out, 'server', 'cli.js')} serve`);
