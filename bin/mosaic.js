#!/usr/bin/env node
// The `mosaic` command: `mosaic demo` runs demo/cli.ts, everything else server/cli.ts, through tsx's loader
// (Mosaic ships TypeScript sources).
import { register } from 'tsx/esm/api';

register();
if (process.argv[2] === 'demo') await import('../demo/cli.ts');
else await import('../server/cli.ts');
