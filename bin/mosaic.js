#!/usr/bin/env node
// The `mosaic` command: `mosaic demo` runs demo/cli.ts, everything else server/cli.ts. In a source checkout they run
// through tsx's loader, always from the sources, so a dist/ left over from an earlier `npm run build` can never
// run stale code. Where the sources are absent (a copy holding only the build, as the container image does) the
// compiled dist/server/cli.js runs instead, without loading tsx; the image itself starts that file directly
// (Dockerfile CMD), and the demo, which is never compiled, needs the checkout.
import { existsSync } from 'node:fs';

if (existsSync(new URL('../server/cli.ts', import.meta.url))) {
  const { register } = await import('tsx/esm/api');
  register();
  if (process.argv[2] === 'demo') await import('../demo/cli.ts');
  else await import('../server/cli.ts');
} else if (process.argv[2] === 'demo') {
  console.error('mosaic demo runs from a source checkout (npm start); this copy holds only the compiled gateway');
  process.exit(2);
} else {
  await import('../dist/server/cli.js');
}
