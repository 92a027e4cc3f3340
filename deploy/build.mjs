// `npm run build [-- OUT_DIR]`: compiles the production code (core/ datasources/ resolvers/ server/, see
// tsconfig.build.json) with plain tsc into dist/ (or OUT_DIR, which test/deploy/build.test.ts uses to build into a
// temporary directory with this very script), then copies schema/*.graphql beside it. OUT_DIR must sit inside the
// checkout for the result to run: Node finds node_modules/ and package.json's "type": "module" by walking up. Plain Node, no tsx: it runs
// in the image's builder stage before anything is compiled.
//
// Why copy the schema rather than teach server/schema.ts a second path: schema.ts reads `../schema` relative to
// its own file, which from dist/server/schema.js is dist/schema. With the copy, dist/ is self-contained (the image
// needs nothing else of the source tree) and the source and compiled layouts stay the same.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.resolve(root, process.argv[2] ?? 'dist');
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
const compiled = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json'), '--outDir', out], { cwd: root, stdio: 'inherit' });
if (compiled.status !== 0) {
  console.error(`build: tsc failed (exit ${compiled.status ?? compiled.signal})`);
  process.exit(1);
}

// schema/ is flat: one *.graphql per domain.
const schemas = readdirSync(path.join(root, 'schema')).filter((f) => f.endsWith('.graphql'));
mkdirSync(path.join(out, 'schema'));
for (const file of schemas) copyFileSync(path.join(root, 'schema', file), path.join(out, 'schema', file));
console.log(`build: ${out} (${schemas.length} schema files); run it with: node ${path.join(out, 'server', 'cli.js')} serve`);
