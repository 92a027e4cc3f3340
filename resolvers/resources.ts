// Disk, Port, FloatingIp, Project and Viewer: leaf types with global ids and a few edges.
import type {
  DiskResolvers,
  FloatingIpResolvers,
  PortResolvers,
  ProjectResolvers,
  ViewerResolvers,
  LoginResultResolvers,
} from './generated-types.ts';
import { toGlobalId } from './global-id.ts';

export const Disk: DiskResolvers = {
  id: (d) => toGlobalId('Disk', `${d.backend.toLowerCase()}:${d.id}`),
  // The key federated subgraphs extend Disk by (server/federation/compose.ts MOSAIC_ENTITY_KEYS).
  backendId: (d) => `${d.backend.toLowerCase()}:${d.id}`,
  instance: (d, _, ctx) => (d.instanceId ? ctx.loaders.instance.load(d.instanceId) : null),
  encrypted: (d) => d.encrypted ?? null,
  multiattach: (d) => d.multiattach ?? null,
  // Cinder lists each attachment; a legacy disk has at most the one its record names (no host, no time).
  attachments: (d) => d.attachments ?? (d.instanceId ? [{ instanceId: d.instanceId, device: d.device, hostName: null, attachedAt: null }] : []),
};

export const Port: PortResolvers = {
  id: (p) => toGlobalId('Port', p.id),
};

export const FloatingIp: FloatingIpResolvers = {
  id: (f) => toGlobalId('FloatingIp', f.id),
  port: (f, _, ctx) => (f.portId ? ctx.loaders.port.load(f.portId) : null),
};

export const Project: ProjectResolvers = {
  id: (p) => toGlobalId('Project', p.id),
  projectId: (p) => p.id,
};

export const Viewer: ViewerResolvers = {
  project: (c, _, ctx) => ctx.loaders.project.load(c.projectId),
  tokenExpiresAt: (c) => c.expiresAt,
};

export const LoginResult: LoginResultResolvers = {};
