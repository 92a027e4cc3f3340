// The layering of DESIGN.md "Layout", read from the import lines themselves: core ← datasources ← resolvers ←
// server, subgraphs/ standalone (it stands for the user's real services), demo/ composing subgraphs and server.
// Also: no import cycle between any two source files, and every relative import names a file that exists.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Which top-level folders each folder may import from (its own included). */
const ALLOWED: Record<string, string[]> = {
  core: ['core'],
  datasources: ['core', 'datasources'],
  resolvers: ['core', 'datasources', 'resolvers'],
  server: ['core', 'datasources', 'resolvers', 'server'],
  subgraphs: ['subgraphs'],
  demo: ['core', 'datasources', 'server', 'subgraphs', 'demo'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** Relative specifiers of static imports, re-exports and dynamic imports, comments excluded. */
export function importsOf(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const specs = new Set<string>();
  for (const m of code.matchAll(/(?:^|[;\n])\s*(?:import|export)\s[^'"]*?\sfrom\s+['"]([^'"]+)['"]/g)) specs.add(m[1]);
  for (const m of code.matchAll(/(?:^|[;\n])\s*import\s+['"]([^'"]+)['"]/g)) specs.add(m[1]);
  for (const m of code.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) specs.add(m[1]);
  return [...specs].filter((s) => s.startsWith('.'));
}

const files = Object.keys(ALLOWED).flatMap((top) => sourceFiles(join(ROOT, top)));
const graph = new Map(files.map((file) => [file, importsOf(readFileSync(file, 'utf8')).map((spec) => resolve(dirname(file), spec))]));
const topOf = (file: string) => relative(ROOT, file).split('/')[0];

describe('import direction', () => {
  it('reads the import lines it checks', () => {
    expect(
      importsOf(
        "import a from './a.ts';\nimport type { B } from '../b.ts';\nexport { c } from './c.ts';\n// import x from './x.ts'\nconst d = await import('./d.ts');",
      ),
    ).toEqual(['./a.ts', '../b.ts', './c.ts', './d.ts']);
    expect(files.length).toBeGreaterThan(50);
  });

  it.each(Object.keys(ALLOWED))('%s/ imports only from the layers below it', (top) => {
    const wrong: string[] = [];
    for (const [file, targets] of graph) {
      if (topOf(file) !== top) continue;
      for (const target of targets) {
        if (!ALLOWED[top].includes(topOf(target))) wrong.push(`${relative(ROOT, file)} → ${relative(ROOT, target)}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('every relative import names a file that exists', () => {
    const missing = [...graph].flatMap(([file, targets]) =>
      targets.filter((t) => !existsSync(t)).map((t) => `${relative(ROOT, file)} → ${relative(ROOT, t)}`),
    );
    expect(missing).toEqual([]);
  });

  it('has no import cycle', () => {
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        cycles.push([...path.slice(path.indexOf(file)), file].map((f) => relative(ROOT, f)).join(' → '));
        return;
      }
      state.set(file, 'open');
      for (const target of graph.get(file) ?? []) if (graph.has(target)) visit(target, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of graph.keys()) visit(file, []);
    expect(cycles).toEqual([]);
  });
});
