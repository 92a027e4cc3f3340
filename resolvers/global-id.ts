// Opaque global ids (Relay "Object Identification"): base64url of "Type:key". Clients must not parse them;
// the server decodes them to route `node(id)` and the typed lookups.
import { MosaicError } from '../core/errors.ts';

export type NodeType =
  | 'Zone'
  | 'Host'
  | 'Instance'
  | 'Disk'
  | 'Image'
  | 'Port'
  | 'FloatingIp'
  | 'Project'
  | 'Operation'
  | 'Network'
  | 'Subnet'
  | 'SecurityGroup'
  | 'VolumeType';
const NODE_TYPES = new Set<string>([
  'Zone',
  'Host',
  'Instance',
  'Disk',
  'Image',
  'Port',
  'FloatingIp',
  'Project',
  'Operation',
  'Network',
  'Subnet',
  'SecurityGroup',
  'VolumeType',
]);

export const toGlobalId = (type: NodeType, key: string | number): string => Buffer.from(`${type}:${key}`, 'utf8').toString('base64url');

export function fromGlobalId(id: string): { type: NodeType; key: string } {
  const decoded = /^[A-Za-z0-9_-]+$/.test(id) ? Buffer.from(id, 'base64url').toString('utf8') : '';
  const colon = decoded.indexOf(':');
  const type = decoded.slice(0, colon);
  const key = decoded.slice(colon + 1);
  if (colon < 1 || !NODE_TYPES.has(type) || key.length === 0) throw new MosaicError('MOSAIC_ERR_BAD_ID', `Malformed global id "${id.slice(0, 100)}"`);
  return { type: type as NodeType, key };
}

/** Decodes an id that must be of one type (e.g. `zone(id)`); a wrong type is a bad argument. */
export function expectGlobalId(id: string, type: NodeType): string {
  const decoded = fromGlobalId(id);
  if (decoded.type !== type) throw new MosaicError('MOSAIC_ERR_BAD_ID', `Expected a ${type} id, got a ${decoded.type} id`);
  return decoded.key;
}

/** Integer keys (legacy ids). */
export function intKey(key: string): number {
  if (!/^\d{1,15}$/.test(key)) throw new MosaicError('MOSAIC_ERR_BAD_ID', 'Malformed global id');
  return Number(key);
}
