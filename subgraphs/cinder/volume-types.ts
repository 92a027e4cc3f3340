// Cinder volume types: GET /v3/{project_id}/types and /types/{id}, as cinder/api/v2/views/types.py shows them.
// https://docs.openstack.org/api-ref/block-storage/v3/#volume-types-types
// - Members list public types only (a private type without an access grant is invisible, a 404 by id), whatever
//   `is_public` says. Admins get `is_public` parsed as cinder/api/api_utils.py _parse_is_public does: unset (or
//   true) lists public types only, false private ones, the string `None` every type; by id they see every type.
// - `extra_specs` and `qos_specs_id` are shown only to callers the policies volume_extension:access_types_extra_specs
//   and …:access_types_qos_specs_id allow — admins by default; for others the keys are absent.
// Ids are derived from the names (the volumes' `volume_type_id` uses the same: serialize.ts stableUuid).
import type { EmulatorReply, EmulatorRequest } from '../emulator/emulator-server.ts';
import type { Caller } from '../emulator/openstack-auth.ts';
import type { Cloud } from '../seed/types.ts';
import { CinderFault } from './list.ts';
import { stableUuid, type CinderView } from './serialize.ts';

interface VolumeType {
  name: string;
  description: string | null;
  isPublic: boolean;
  extraSpecs: Record<string, string>;
}

/** The types this Cinder has: the seed's (every volume's type) plus one private type no volume uses. */
export const VOLUME_TYPE_DEFS: VolumeType[] = [
  { name: '__DEFAULT__', description: 'Default Volume Type', isPublic: true, extraSpecs: {} },
  { name: 'ssd', description: 'Ceph RBD on SSDs', isPublic: true, extraSpecs: { volume_backend_name: 'ceph' } },
  { name: 'hdd', description: 'LVM on spinning disks', isPublic: true, extraSpecs: { volume_backend_name: 'lvm' } },
  {
    name: 'replicated',
    description: null,
    isPublic: false,
    extraSpecs: { volume_backend_name: 'ceph', replication_enabled: '<is> True' },
  },
];

function typeJson(t: VolumeType, isAdmin: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = {
    is_public: t.isPublic,
    id: stableUuid(`volume-type:${t.name}`),
    name: t.name,
    description: t.description,
    'os-volume-type-access:is_public': t.isPublic,
  };
  if (isAdmin) {
    body.extra_specs = { ...t.extraSpecs };
    body.qos_specs_id = null;
  }
  return body;
}

/** Types as a caller sees them; the seed's volumes may name types beyond the table (kept public, no specs). */
function typesFor(cloud: Cloud, isAdmin: boolean): VolumeType[] {
  const known = new Set(VOLUME_TYPE_DEFS.map((t) => t.name));
  const extra = [...new Set(cloud.volumes.map((v) => v.volumeType))].filter((n) => !known.has(n));
  const all = [...VOLUME_TYPE_DEFS, ...extra.map((name) => ({ name, description: null, isPublic: true, extraSpecs: {} }))];
  return isAdmin ? all : all.filter((t) => t.isPublic);
}

const ok = (body: unknown): EmulatorReply => ({ status: 200, headers: { 'content-type': 'application/json' }, body });

export function listVolumeTypes(cloud: Cloud, req: EmulatorRequest, view: CinderView): EmulatorReply {
  let types = typesFor(cloud, view.isAdmin);
  // `is_public` is honoured for admins only (members always get the public ones); unset means public only.
  const isPublic = req.query.get('is_public') ?? 'true';
  if (view.isAdmin && isPublic.toLowerCase() !== 'none') {
    const wanted = ['true', '1', 'yes', 't', 'on', 'y'].includes(isPublic.toLowerCase());
    types = types.filter((t) => t.isPublic === wanted);
  }
  return ok({ volume_types: types.map((t) => typeJson(t, view.isAdmin)) });
}

export function showVolumeType(cloud: Cloud, req: EmulatorRequest, caller: Caller): EmulatorReply {
  const t = typesFor(cloud, caller.isAdmin).find((x) => stableUuid(`volume-type:${x.name}`) === req.params.type_id);
  if (!t) throw new CinderFault(404, `Volume type ${req.params.type_id} could not be found.`);
  return ok({ volume_type: typeJson(t, caller.isAdmin) });
}
