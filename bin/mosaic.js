#!/usr/bin/env node
// The `mosaic` command: runs server/cli.ts through tsx's loader (Mosaic ships TypeScript sources, no build step).
import { register } from 'tsx/esm/api';

register();
await import('../server/cli.ts');
