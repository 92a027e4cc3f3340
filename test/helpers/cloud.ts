// Test helpers for the emulated cloud: start it on free loopback ports, get real Keystone tokens, read the
// emulators' request counters. Each suite starts its own cloud and closes it in afterAll.
import { startDemoCloud, SERVICE_NAMES, type DemoCloud, type DemoCloudOptions, type ServiceName } from '../../subgraphs/demo-cloud.ts';
import type { EmulatorStats } from '../../subgraphs/emulator/emulator-server.ts';

export type { DemoCloud, ServiceName };

export function startTestCloud(options: DemoCloudOptions = {}): Promise<DemoCloud> {
  const ports = Object.fromEntries(SERVICE_NAMES.map((n) => [n, 0])) as Record<ServiceName, number>;
  return startDemoCloud({ size: 'tiny', asyncDelayMs: 50, ...options, ports });
}

export interface IssuedToken {
  token: string;
  body: any;
}

/** Password auth scoped to the user's own project, as a real client does it. */
export async function issueToken(cloud: DemoCloud, username: string, password = username, projectName?: string): Promise<IssuedToken> {
  const user = cloud.cloud.users.find((u) => u.name === username);
  const project = projectName ?? cloud.cloud.projects.find((p) => p.id === user?.projectId)?.name ?? 'admin';
  const res = await fetch(`${cloud.keystoneUrl}/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: username, domain: { id: 'default' }, password } } },
        scope: { project: { name: project, domain: { id: 'default' } } },
      },
    }),
  });
  if (res.status !== 201) throw new Error(`keystone answered ${res.status}: ${await res.text()}`);
  return { token: res.headers.get('x-subject-token')!, body: await res.json() };
}

/** The request counters of one emulator, read over HTTP as the benchmark does. */
export async function statsOf(cloud: DemoCloud, service: ServiceName): Promise<EmulatorStats> {
  const res = await fetch(`${cloud.urls[service]}/_emulator/stats`);
  return (await res.json()) as EmulatorStats;
}
