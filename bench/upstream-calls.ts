// Upstream calls a request caused, read from the emulators' own counters (POST /_emulator/reset before, GET
// /_emulator/stats after: subgraphs/emulator/emulator-server.ts), as bench/measure.ts countCalls does — but split
// in two so the bench modes can keep other traffic running in between. The gateway's background work is left
// out: with Mosaic's Keystone service account configured it reads revocation events every couple of seconds
// (datasources/keystone/revocations.ts), which no request caused.
import type { CloudInfo } from './cloud-process.ts';
import { SERVICES, type Service } from './floors.ts';

/** "service METHOD /route" of calls no request makes. */
const BACKGROUND = new Set(['keystone GET /v3/OS-REVOKE/events']);

export interface UpstreamCalls {
  total: number;
  byService: Record<Service, number>;
  /** "service METHOD /route" → count (background routes excluded). */
  byRoute: Record<string, number>;
}

export async function resetUpstreamCounters(cloud: CloudInfo): Promise<void> {
  await Promise.all(SERVICES.map(async (s) => (await fetch(`${cloud.urls[s]}/_emulator/reset`, { method: 'POST' })).arrayBuffer()));
}

export async function readUpstreamCalls(cloud: CloudInfo): Promise<UpstreamCalls> {
  const byService = Object.fromEntries(SERVICES.map((s) => [s, 0])) as Record<Service, number>;
  const byRoute: Record<string, number> = {};
  await Promise.all(
    SERVICES.map(async (s) => {
      const stats = (await (await fetch(`${cloud.urls[s]}/_emulator/stats`)).json()) as { byRoute: Record<string, number> };
      for (const [route, n] of Object.entries(stats.byRoute)) {
        const key = `${s} ${route}`;
        if (BACKGROUND.has(key)) continue;
        byRoute[key] = n;
        byService[s] += n;
      }
    }),
  );
  return { total: SERVICES.reduce((a, s) => a + byService[s], 0), byService, byRoute };
}
