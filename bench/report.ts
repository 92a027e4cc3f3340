// Turns a bench run into its JSON record and its markdown tables, and keeps bench/README.md's "latest results"
// section for `small` and `medium` in step with the last full run of that size.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVICES, type Floor } from './floors.ts';
import type { CallCount, LoadResult } from './measure.ts';

export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));

export interface Cell {
  workload: string;
  variant: string;
  caller: string;
  floor: Floor;
  calls: Omit<CallCount, 'body'>;
  /** Distinct errors of the counted query's response: "CODE at path" (paths with list indexes folded to *). */
  responseErrors: string[];
  /**
   * Whether the counted query's data equals the first variant's (Mosaic on Mercurius; arrays compared as sets,
   * metric values aside: see metricValuesDiffer); null for that one.
   */
  sameDataAsMosaic: boolean | null;
  /** Equal but for metric values, which the cloud's metering feed rewrites as minutes pass (bench/run.ts METRIC_FIELDS). */
  metricValuesDiffer?: boolean;
  loads: LoadResult[];
  /** Set when the gateway died or hung under one of the load runs (the runs after it were skipped). */
  failure?: string;
}

export interface Machine {
  nproc: number;
  cpu: string;
  memoryGb: number;
  node: string;
  platform: string;
}

/** Which gateway code was measured: the commit, and the gateway files changed since (read-only git calls). */
export interface CodeVersion {
  commit: string;
  uncommitted: string[];
}

export function codeVersion(): CodeVersion {
  const git = (args: string[]) =>
    // Trailing whitespace only: a porcelain line starts with its status column, which may be a space (" M path").
    execFileSync('git', args, { cwd: path.join(BENCH_DIR, '..'), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trimEnd();
  try {
    const uncommitted = git(['status', '--porcelain', '--', 'core', 'datasources', 'resolvers', 'server', 'schema'])
      .split('\n')
      .filter(Boolean)
      .map((l) => l.slice(3));
    return { commit: git(['rev-parse', '--short', 'HEAD']), uncommitted };
  } catch {
    return { commit: 'unknown', uncommitted: [] };
  }
}

export interface BenchRecord {
  date: string;
  size: string;
  latencyMs: number;
  /** Measured upstream round trip (median), ms: the configured latency plus HTTP and timer overhead. */
  roundTripMs: number;
  /** Gateway RSS right after start and after the warm-up, per variant. */
  gateways: { variant: string; pid: number; startRssMb: number; warmRssMb: number }[];
  quick: boolean;
  /** True when --only or --variants narrowed the run (the file name then ends in -partial). */
  partial: boolean;
  durationS: number;
  concurrency: number[];
  fleetCacheTtlMs: number;
  /** Cross-request sharing of in-flight GETs between requests (--share); absent in records from before the flag (sharing was on). */
  share?: boolean;
  machine: Machine;
  code: CodeVersion;
  notes: string[];
  cells: Cell[];
}

export function machine(): Machine {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpu = m[1].trim();
  } catch {
    /* not Linux: os.cpus() is the best we have */
  }
  return {
    nproc: os.availableParallelism(),
    cpu,
    memoryGb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };
}

const f0 = (n: number | null | undefined) => (n === null || n === undefined || Number.isNaN(n) ? '—' : Math.round(n).toLocaleString('en-US'));
const f1 = (n: number | null | undefined) => (n === null || n === undefined || Number.isNaN(n) ? '—' : n.toFixed(1));
const f2 = (n: number | null | undefined) => (n === null || n === undefined || Number.isNaN(n) ? '—' : n.toFixed(2));

export const loadAt = (cell: Cell, c: number) => cell.loads.find((l) => l.connections === c);

/** Share of load-run attempts whose response had errors in its body (or failed outright). */
export function errorShare(cell: Cell): number | null {
  let bad = 0;
  let all = 0;
  for (const l of cell.loads) {
    bad += l.errorResponses;
    all += l.responses + l.timeouts;
  }
  return all === 0 ? null : bad / all;
}

export function markdown(record: BenchRecord): string {
  const lat = record.latencyMs;
  const conc = record.concurrency.filter((c) => c > 1);
  const lines: string[] = [];
  lines.push(
    `Size \`${record.size}\`, upstream latency ${lat} ms, ${record.durationS} s per measurement${record.quick ? ' (--quick: shorter runs, concurrency ' + record.concurrency.join(' and ') + ' only)' : ''}, ${record.date}.`,
  );
  lines.push(
    `Gateway code: commit ${record.code.commit}${record.code.uncommitted.length ? ` plus uncommitted changes to ${record.code.uncommitted.join(', ')}` : ''}.`,
  );
  lines.push(
    `Machine: ${record.machine.nproc} CPUs (${record.machine.cpu}), ${record.machine.memoryGb} GB, Node ${record.machine.node}; cloud, gateway and load generator share it.`,
  );
  lines.push(
    `Measured upstream round trip: ${f2(record.roundTripMs)} ms median for a ${lat} ms latency setting. Critical-path floor = levels × ${lat} ms / levels × ${f2(record.roundTripMs)} ms.`,
  );
  lines.push(
    `Gateway RSS after start / after warm-up: ${record.gateways.map((g) => `${g.variant} ${f0(g.startRssMb)}/${f0(g.warmRssMb)} MB`).join(', ')}.`,
  );
  if (record.share !== undefined) {
    lines.push(
      record.share
        ? 'In-flight sharing across requests: on (--share).'
        : 'In-flight sharing across requests: off (--no-share, the default): concurrent requests never share an upstream call.',
    );
  }
  lines.push('');
  lines.push(
    `| workload | variant | calls (floor) | ratio | upstream KB | min ms | p50 ms | p99 ms | crit. floor ms (levels) | ${conc.map((c) => `req/s c${c}`).join(' | ')} | CPU ms/req | peak RSS MB | errors |`,
  );
  lines.push(`|---|---|---|---|---|---|---|---|---|${conc.map(() => '---|').join('')}---|---|---|`);
  for (const cell of record.cells) {
    const c1 = loadAt(cell, 1);
    // CPU per request from the first concurrency above 1 that ran, else from concurrency 1.
    const cpuRun = [...conc.map((c) => loadAt(cell, c)), c1].find((l) => l && !l.skipped && l.cpuMsPerRequest !== null);
    const peak = Math.max(...cell.loads.map((l) => l.peakRssBytes));
    const share = errorShare(cell);
    const failed = cell.failure ? ` **gateway failed at ${cell.failure.split(':')[0]}**` : '';
    const errs = cell.responseErrors.length ? ` (${[...new Set(cell.responseErrors.map((e) => e.split(' ')[0]))].join(', ')})` : '';
    const ratio = cell.calls.total / cell.floor.total;
    lines.push(
      [
        cell.workload,
        cell.variant,
        `${f0(cell.calls.total)} (${f0(cell.floor.total)})`,
        f2(ratio),
        cell.calls.upstreamBytes === undefined ? '—' : f0(cell.calls.upstreamBytes / 1024),
        f1(c1?.latencyMs?.min ?? (c1?.responses === 0 ? null : undefined)),
        f1(c1?.latencyMs?.p50),
        f1(c1?.latencyMs?.p99),
        `${f0(cell.floor.levels * lat)} / ${f0(cell.floor.levels * record.roundTripMs)} (${cell.floor.levels})`,
        ...conc.map((c) => (loadAt(cell, c)?.skipped ? 'skip' : f1(loadAt(cell, c)?.requestsPerSec))),
        f1(cpuRun?.cpuMsPerRequest),
        f0(peak / 2 ** 20),
        `${share === null ? 'no response' : `${Math.round(share * 100)}%`}${errs}${failed}`,
      ]
        .join(' | ')
        .replace(/^/, '| ')
        .replace(/$/, ' |'),
    );
  }
  lines.push('');
  lines.push('Upstream calls of one query by service, actual/floor:');
  lines.push('');
  lines.push(`| workload | variant | ${SERVICES.join(' | ')} | same data as mosaic-mercurius |`);
  lines.push(`|---|---|${SERVICES.map(() => '---|').join('')}---|`);
  for (const cell of record.cells) {
    lines.push(
      `| ${cell.workload} | ${cell.variant} | ${SERVICES.map((s) => `${f0(cell.calls.byService[s])}/${f0(cell.floor.calls[s])}`).join(' | ')} | ${cell.sameDataAsMosaic === null ? '(reference)' : cell.sameDataAsMosaic ? (cell.metricValuesDiffer ? 'yes (metric values aside)' : 'yes') : `**no**${cell.responseErrors.length ? ' (its response has errors)' : ''}`} |`,
    );
  }
  lines.push('');
  lines.push('Floors (computed from the seeded cloud; L = query level):');
  lines.push('');
  const seen = new Set<string>();
  for (const cell of record.cells) {
    if (seen.has(cell.workload)) continue;
    seen.add(cell.workload);
    const fl = cell.floor;
    lines.push(
      `- **${cell.workload}** (${cell.caller}): ${fl.total} calls, ${fl.levels} levels → ${fl.levels * lat} ms; ${fl.rounds} sequential rounds on the fewest-calls plan (${fl.rounds * lat} ms). ${fl.notes.join('; ')}.`,
    );
  }
  const failures = record.cells.filter((c) => c.failure);
  if (failures.length) {
    lines.push('');
    lines.push('Gateway failures under load:');
    lines.push('');
    for (const c of failures) lines.push(`- ${c.workload} / ${c.variant}: ${c.failure}`);
  }
  const errors = record.cells.filter((c) => c.responseErrors.length);
  if (errors.length) {
    lines.push('');
    lines.push('Errors in response bodies (the counted query):');
    lines.push('');
    for (const c of errors) lines.push(`- ${c.workload} / ${c.variant}: ${c.responseErrors.join('; ')}`);
  }
  if (record.notes.length) {
    lines.push('');
    for (const n of record.notes) lines.push(`- ${n}`);
  }
  return lines.join('\n');
}

export function writeRecord(record: BenchRecord): string {
  const dir = path.join(BENCH_DIR, 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${record.date}-${record.size}${record.quick ? '-quick' : ''}${record.partial ? '-partial' : ''}.json`);
  fs.writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
  return file;
}

/** Replaces the block between `<!-- results:SIZE -->` and `<!-- /results:SIZE -->` in bench/README.md. */
export function updateReadme(record: BenchRecord, table: string): boolean {
  const file = path.join(BENCH_DIR, 'README.md');
  if (!fs.existsSync(file)) return false;
  const text = fs.readFileSync(file, 'utf8');
  const start = `<!-- results:${record.size} -->`;
  const end = `<!-- /results:${record.size} -->`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i === -1 || j === -1 || j < i) return false;
  fs.writeFileSync(file, `${text.slice(0, i + start.length)}\n${table}\n${text.slice(j)}`);
  return true;
}
