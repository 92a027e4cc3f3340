// The error table against its documentation, as fastify checks FST_ERR_* against its docs: every MOSAIC_ERR_*
// code in core/errors.ts is in the README's error list with its public code, the README names no code the table
// lacks, and no source file raises a code outside the table.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERRORS, MosaicError } from '../../core/errors.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const errorsSection = README.slice(README.indexOf('## Errors'), README.indexOf('\n## ', README.indexOf('## Errors') + 1));

/** README rows: `| MOSAIC_ERR_X | PUBLIC_CODE | meaning |`. */
const documented = new Map([...errorsSection.matchAll(/^\|\s*`(MOSAIC_ERR_[A-Z_]+)`\s*\|\s*`([A-Z_]+)`\s*\|/gm)].map((m) => [m[1], m[2]]));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : name.endsWith('.ts') ? [path] : [];
  });
}

describe('the error table', () => {
  it('documents every code in the README with its public code', () => {
    expect(documented.size).toBeGreaterThan(0);
    for (const [name, { code }] of Object.entries(ERRORS)) expect(documented.get(name), name).toBe(code);
  });

  it('documents no code the table lacks', () => {
    expect([...documented.keys()].filter((name) => !(name in ERRORS))).toEqual([]);
  });

  it('holds every code the source raises', () => {
    const used = new Set<string>();
    for (const dir of ['core', 'datasources', 'resolvers', 'server']) {
      for (const file of sourceFiles(join(ROOT, dir))) for (const m of readFileSync(file, 'utf8').matchAll(/MOSAIC_ERR_[A-Z_]+/g)) used.add(m[0]);
    }
    expect([...used].filter((name) => !(name in ERRORS))).toEqual([]);
  });

  it('gives each error its public code, stable code and upstream details, and keeps the cause', () => {
    const cause = new Error('socket hang up');
    const err = new MosaicError('MOSAIC_ERR_UPSTREAM_TIMEOUT', undefined, { service: 'nova', requestId: 'req-1', status: 504 }, { cause });
    expect(err.message).toBe(ERRORS.MOSAIC_ERR_UPSTREAM_TIMEOUT.message);
    expect(err.cause).toBe(cause);
    expect(err.extensions).toEqual({
      code: 'UPSTREAM_TIMEOUT',
      mosaicCode: 'MOSAIC_ERR_UPSTREAM_TIMEOUT',
      service: 'nova',
      upstreamRequestId: 'req-1',
      upstreamStatus: 504,
    });
  });
});
