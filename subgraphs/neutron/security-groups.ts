// Neutron security groups with their rules embedded, in the JSON of the api-ref's
// security-groups-list-response.json: https://docs.openstack.org/api-ref/network/v2/#list-security-groups
// The seed models none, so each project gets what Neutron creates for it — the `default` group (egress to
// anywhere over IPv4 and IPv6, ingress from members of the same group) — plus a `web` group (SSH, HTTP, HTTPS
// from anywhere), with stable ids (the `default` id is the one ports list in `security_groups`). Members see
// their own project's groups, admins every project's.
import type { Cloud, Project } from '../seed/types.ts';
import { bool, int, neutronTime, projectAttrs, stableUuid, str, type ResourceDef } from './serialize.ts';

export interface SecurityGroupRule {
  id: string;
  direction: 'ingress' | 'egress';
  ethertype: 'IPv4' | 'IPv6';
  protocol: string | null;
  portRangeMin: number | null;
  portRangeMax: number | null;
  remoteIpPrefix: string | null;
  remoteGroupId: string | null;
}
export interface SecurityGroup {
  id: string;
  name: string;
  description: string;
  projectId: string;
  rules: SecurityGroupRule[];
  createdAt: Date;
}

const CREATED = new Date('2025-01-01T00:00:00Z');

function groupsOf(p: Project): SecurityGroup[] {
  const defaultId = stableUuid(`security-group:default:${p.id}`);
  const webId = stableUuid(`security-group:web:${p.id}`);
  const rule = (group: string, n: number, r: Omit<SecurityGroupRule, 'id'>): SecurityGroupRule => ({ id: stableUuid(`sg-rule:${group}:${n}`), ...r });
  const any = { protocol: null, portRangeMin: null, portRangeMax: null, remoteIpPrefix: null, remoteGroupId: null };
  const tcp = (port: number, ethertype: 'IPv4' | 'IPv6') => ({
    ...any,
    direction: 'ingress' as const,
    ethertype,
    protocol: 'tcp',
    portRangeMin: port,
    portRangeMax: port,
    remoteIpPrefix: ethertype === 'IPv4' ? '0.0.0.0/0' : '::/0',
  });
  return [
    {
      id: defaultId,
      name: 'default',
      description: 'Default security group',
      projectId: p.id,
      createdAt: CREATED,
      rules: [
        rule(defaultId, 0, { ...any, direction: 'egress', ethertype: 'IPv4' }),
        rule(defaultId, 1, { ...any, direction: 'egress', ethertype: 'IPv6' }),
        rule(defaultId, 2, { ...any, direction: 'ingress', ethertype: 'IPv4', remoteGroupId: defaultId }),
        rule(defaultId, 3, { ...any, direction: 'ingress', ethertype: 'IPv6', remoteGroupId: defaultId }),
      ],
    },
    {
      id: webId,
      name: 'web',
      description: 'SSH, HTTP and HTTPS from anywhere',
      projectId: p.id,
      createdAt: CREATED,
      rules: [
        rule(webId, 0, { ...any, direction: 'egress', ethertype: 'IPv4' }),
        rule(webId, 1, { ...any, direction: 'egress', ethertype: 'IPv6' }),
        rule(webId, 2, tcp(22, 'IPv4')),
        rule(webId, 3, tcp(80, 'IPv4')),
        rule(webId, 4, tcp(443, 'IPv4')),
      ],
    },
  ];
}

const derived = new WeakMap<Cloud, { of: readonly Project[]; length: number; items: SecurityGroup[] }>();
/** Every project's groups, rebuilt only when the projects array changes (stable for the sorted view). */
export function securityGroups(cloud: Cloud): readonly SecurityGroup[] {
  const cached = derived.get(cloud);
  if (cached && cached.of === cloud.projects && cached.length === cloud.projects.length) return cached.items;
  const items = cloud.projects.flatMap(groupsOf);
  derived.set(cloud, { of: cloud.projects, length: cloud.projects.length, items });
  return items;
}

const ruleJson = (g: SecurityGroup, r: SecurityGroupRule) => ({
  direction: r.direction,
  ethertype: r.ethertype,
  id: r.id,
  port_range_max: r.portRangeMax,
  port_range_min: r.portRangeMin,
  protocol: r.protocol,
  remote_group_id: r.remoteGroupId,
  remote_ip_prefix: r.remoteIpPrefix,
  security_group_id: g.id,
  project_id: g.projectId,
  revision_number: 0,
  tags: [],
  tenant_id: g.projectId,
  created_at: neutronTime(g.createdAt),
  updated_at: neutronTime(g.createdAt),
  description: '',
  normalized_cidr: r.remoteIpPrefix,
  remote_address_group_id: null,
  belongs_to_default_sg: g.name === 'default',
});

export const SECURITY_GROUPS: ResourceDef<SecurityGroup> = {
  collection: 'security_groups',
  path: 'security-groups',
  member: 'security_group',
  items: securityGroups,
  visible: (g, ctx) => ctx.caller.isAdmin || g.projectId === ctx.caller.projectId,
  attrs: {
    id: str((g) => g.id),
    name: str((g) => g.name),
    description: str((g) => g.description),
    ...projectAttrs<SecurityGroup>(),
    revision_number: int(() => 1),
    stateful: bool(() => true),
    shared: bool(() => false),
    created_at: str((g) => neutronTime(g.createdAt)),
    updated_at: str((g) => neutronTime(g.createdAt)),
  },
  serialize: (g) => ({
    description: g.description,
    id: g.id,
    name: g.name,
    security_group_rules: g.rules.map((r) => ruleJson(g, r)),
    project_id: g.projectId,
    revision_number: 1,
    created_at: neutronTime(g.createdAt),
    updated_at: neutronTime(g.createdAt),
    tags: [],
    tenant_id: g.projectId,
    stateful: true,
    shared: false,
  }),
  notFound: (id) => ({ type: 'SecurityGroupNotFound', message: `Security group ${id} does not exist` }),
};
