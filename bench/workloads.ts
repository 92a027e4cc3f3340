// The benchmark's workloads: every query in test/fixtures/queries (the project's copy, so a clone runs), with
// its caller and variables picked from the seeded cloud. The parent builds the same cloud as the cloud child
// (same size, same seed → same ids), so the ids chosen here exist upstream.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Cloud, Server } from '../subgraphs/seed/types.ts';
import { toGlobalId } from '../resolvers/global-id.ts';

export const QUERIES_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures', 'queries');

export type CallerName = 'admin' | 'alice';

export interface Workload {
  /** File name without .graphql, e.g. "fleet-tree". */
  name: string;
  query: string;
  variables: Record<string, unknown>;
  caller: CallerName;
  /** The seeded objects the variables point at, for the floors. */
  picks: WorkloadPicks;
}

export interface WorkloadPicks {
  zoneId?: number;
  instance?: Server;
  nodes?: { instances: Server[]; hostIds: number[]; volumeIds: string[]; legacyDiskIds: number[]; zoneIds: number[] };
}

/** The member caller of my-instances is alice (project web); every other workload is an admin's. */
const CALLERS: Record<string, CallerName> = { 'my-instances': 'alice' };

const projectId = (cloud: Cloud, name: string) => cloud.projects.find((p) => p.name === name)!.id;

/** An instance of project web with every edge instance-detail asks for: image, legacy disk, floating IP. */
function pickDetailInstance(cloud: Cloud): Server {
  const web = cloud.servers.filter((s) => s.projectId === projectId(cloud, 'web'));
  const legacy = new Set(cloud.legacyDisks.map((d) => d.instanceUuid));
  const fipPorts = new Set(cloud.floatingIps.map((f) => f.portId));
  const withFip = new Set(cloud.ports.filter((p) => fipPorts.has(p.id)).map((p) => p.deviceId));
  return web.find((s) => s.imageId && legacy.has(s.id) && withFip.has(s.id)) ?? web.find((s) => s.imageId && legacy.has(s.id)) ?? web[0];
}

/** ~10 mixed ids an SDK might hold: instances of four projects, two hosts, two volumes, a legacy disk, a zone. */
function pickNodes(cloud: Cloud): NonNullable<WorkloadPicks['nodes']> {
  const instances = ['admin', 'web', 'data', 'ml'].map((p) => cloud.servers.find((s) => s.projectId === projectId(cloud, p))!);
  const hostIds = [cloud.hosts[0].id, cloud.hosts[cloud.hosts.length - 1].id];
  const attached = cloud.volumes.filter((v) => v.attachments.length > 0);
  const volumeIds = [attached[0].id, attached[attached.length - 1].id];
  const legacyDiskIds = [cloud.legacyDisks.find((d) => d.instanceUuid)!.id];
  const zoneIds = [cloud.zones[cloud.zones.length - 1].id];
  return { instances, hostIds, volumeIds, legacyDiskIds, zoneIds };
}

export function nodeIds(nodes: NonNullable<WorkloadPicks['nodes']>): string[] {
  return [
    ...nodes.instances.map((s) => toGlobalId('Instance', s.id)),
    ...nodes.hostIds.map((id) => toGlobalId('Host', id)),
    ...nodes.volumeIds.map((id) => toGlobalId('Disk', `cinder:${id}`)),
    ...nodes.legacyDiskIds.map((id) => toGlobalId('Disk', `legacy:${id}`)),
    ...nodes.zoneIds.map((id) => toGlobalId('Zone', id)),
  ];
}

export function loadWorkloads(cloud: Cloud, only?: string[]): Workload[] {
  const files = fs
    .readdirSync(QUERIES_DIR)
    .filter((f) => f.endsWith('.graphql'))
    .sort();
  const workloads: Workload[] = [];
  for (const file of files) {
    const name = file.replace(/\.graphql$/, '');
    if (only && only.length > 0 && !only.includes(name)) continue;
    const query = fs.readFileSync(path.join(QUERIES_DIR, file), 'utf8');
    const picks: WorkloadPicks = {};
    let variables: Record<string, unknown> = {};
    if (name === 'zone-console') {
      picks.zoneId = cloud.zones[0].id;
      variables = { zoneId: toGlobalId('Zone', picks.zoneId) };
    } else if (name === 'instance-detail') {
      picks.instance = pickDetailInstance(cloud);
      variables = { id: toGlobalId('Instance', picks.instance.id) };
    } else if (name === 'sdk-nodes') {
      picks.nodes = pickNodes(cloud);
      variables = { ids: nodeIds(picks.nodes) };
    }
    workloads.push({ name, query, variables, caller: CALLERS[name] ?? 'admin', picks });
  }
  return workloads;
}
