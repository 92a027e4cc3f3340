// Nova host aggregates for the seeded cloud, as operators set them up: each availability zone is an aggregate
// whose `availability_zone` (and metadata key of the same name) is the zone's name, holding the zone's hosts
// (https://docs.openstack.org/nova/latest/admin/aggregates.html), plus one `ssd` aggregate with no zone that groups
// every third host across zones by a hardware trait (metadata `ssd=true`, what AggregateInstanceExtraSpecsFilter
// matches). Deterministic from zones and hosts, and drawn from no random generator, so the rest of the seed is
// unchanged.
import { createHash } from 'node:crypto';
import type { Aggregate, Host, Zone } from './types.ts';

/** A stable UUID-shaped id from a name (aggregates have had a uuid since microversion 2.41). */
function uuidOf(name: string): string {
  const h = createHash('sha1').update(`aggregate:${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function seedAggregates(zones: Zone[], hosts: Host[]): Aggregate[] {
  const out: Aggregate[] = zones.map((z, i) => ({
    id: i + 1,
    uuid: uuidOf(z.name),
    name: `az-${z.name}`,
    availabilityZone: z.name,
    hosts: hosts.filter((h) => h.zoneId === z.id).map((h) => h.hostname),
    metadata: { availability_zone: z.name },
    createdAt: z.createdAt,
  }));
  out.push({
    id: zones.length + 1,
    uuid: uuidOf('ssd'),
    name: 'ssd',
    availabilityZone: null,
    hosts: hosts.filter((_, i) => i % 3 === 0).map((h) => h.hostname),
    metadata: { ssd: 'true' },
    createdAt: zones[0]?.createdAt ?? new Date(0),
  });
  return out;
}
