// Runs a gateway child the way deploy/k8s/deployment.yaml does: inside a memory limit (`resources.limits.memory`,
// 512 Mi). The limit matters beyond the OOM kill: Node sizes V8's heap from the cgroup's limit
// (uv_get_constrained_memory(), node's SetIsolateCreateParamsForNode) — on this machine 259 MB of heap in a
// 512 MiB cgroup against 4,144 MB without one — so garbage is collected sooner and peak RSS is what a deployed
// replica has, at the CPU price it pays (the CPU ms/req column). A fresh cgroup per child (v2 where the memory
// controller is there, else v1), created by a wrapper that moves itself in before it execs node, so the heap is
// sized at start-up; the bench needs root for it, and says so when it cannot.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface MemoryCgroups {
  /** The executable to fork the gateway with (fork's execPath). */
  execPath: string;
  /** Removes the cgroups the children made (after they have exited). */
  cleanUp(): void;
  /** e.g. "cgroup v2 memory.max 512 MiB". */
  describe: string;
}

const V2 = '/sys/fs/cgroup';
const V1 = '/sys/fs/cgroup/memory';
const MANIFEST = new URL('../deploy/k8s/deployment.yaml', import.meta.url);

/** The replica's memory limit in deploy/k8s/deployment.yaml (`limits: { …, memory: 512Mi }`), in MiB. */
export function deployedMemoryMb(): number {
  const m = /limits:\s*\{[^}]*memory:\s*(\d+)(Mi|Gi)/.exec(readFileSync(MANIFEST, 'utf8'));
  if (!m) throw new Error(`no memory limit in ${MANIFEST.pathname}`);
  return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1);
}
/** A wrapper for fork() that puts each child in its own `limitMb` cgroup; throws with the reason when it cannot. */
export function memoryCgroups(limitMb: number, workDir: string): MemoryCgroups {
  const bytes = Math.round(limitMb * 2 ** 20);
  const v2 = existsSync(`${V2}/cgroup.controllers`) && readFileSync(`${V2}/cgroup.controllers`, 'utf8').split(/\s+/).includes('memory');
  const parent = path.join(v2 ? V2 : V1, `mosaic-bench-${process.pid}`);
  const limitFile = v2 ? 'memory.max' : 'memory.limit_in_bytes';
  try {
    if (!v2 && !existsSync(V1)) throw new Error('no cgroup memory controller (neither v2 nor v1 is mounted)');
    mkdirSync(parent);
    // v2 hands a controller to children only when the parent's subtree_control enables it.
    if (v2) writeFileSync(`${parent}/cgroup.subtree_control`, '+memory');
  } catch (err) {
    throw new Error(
      `--memory-mb ${limitMb}: cannot make a memory cgroup under ${path.dirname(parent)} (${(err as Error).message}); run as root, or pass --memory-mb 0 to run the gateways without a limit`,
    );
  }
  mkdirSync(workDir, { recursive: true });
  const execPath = path.join(workDir, 'node-in-memory-cgroup.sh');
  writeFileSync(
    execPath,
    [
      '#!/bin/sh',
      'set -e',
      `dir="${parent}/gateway-$$"`,
      'mkdir "$dir"',
      `echo ${bytes} > "$dir/${limitFile}"`,
      'echo $$ > "$dir/cgroup.procs"',
      `exec "${process.execPath}" "$@"`,
      '',
    ].join('\n'),
  );
  chmodSync(execPath, 0o755);
  return {
    execPath,
    describe: `cgroup ${v2 ? 'v2' : 'v1'} ${limitFile} ${limitMb} MiB`,
    cleanUp() {
      // rmdir, not rm -r: a cgroup directory goes only with rmdir, once its processes have left.
      for (const dir of [...subgroups(parent).map((d) => path.join(parent, d)), parent]) {
        try {
          rmdirSync(dir);
        } catch {
          // still populated (a child that would not die) or already gone: nothing to do
        }
      }
    },
  };
}

/** The child cgroups under `dir` (none when it is gone). */
function subgroups(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch {
    return [];
  }
}
