// The resolver map, one module per domain, typed against the generated contract.
import type { Resolvers } from './generated-types.ts';
import { Mutation, Query } from './query.ts';
import { Host, Region, Zone } from './infrastructure.ts';
import { Flavor, Image, Instance } from './compute.ts';
import { Disk, FloatingIp, LoginResult, Port, Project, Viewer } from './resources.ts';
import { Fleet, ZoneStats } from './fleet.ts';
import { DateTime, JSONScalar } from './scalars.ts';
import {
  AuditEntry,
  DiskOperationPayload,
  FloatingIpOperationPayload,
  HostOperationPayload,
  InstanceOperationPayload,
  Operation,
  operationQueries,
} from './operations.ts';
import { operationMutations } from './mutations.ts';
import { Subscription } from './subscriptions.ts';
import { catalogQueries, ImageOwner, VolumeType } from './catalog.ts';
import { FixedIp, InstanceSecurityGroups, Network, networkQueries, PortNetwork, SecurityGroup, Subnet } from './network.ts';
import { ComputeQuotas, NetworkQuotas, ProjectQuotas, ProjectQuotasEdge, VolumeQuotas } from './quotas.ts';

export const resolvers: Resolvers = {
  DateTime,
  JSON: JSONScalar,
  Query: { ...Query, ...operationQueries, ...catalogQueries, ...networkQueries },
  Mutation: { ...Mutation, ...operationMutations },
  Subscription,
  Operation,
  AuditEntry,
  InstanceOperationPayload,
  DiskOperationPayload,
  HostOperationPayload,
  FloatingIpOperationPayload,
  Region,
  Zone,
  Host,
  Instance: { ...Instance, ...InstanceSecurityGroups },
  Flavor,
  Image: { ...Image, ...ImageOwner },
  Disk,
  Port: { ...Port, ...PortNetwork },
  FloatingIp,
  Project: { ...Project, ...ProjectQuotasEdge },
  Viewer,
  LoginResult,
  Fleet,
  ZoneStats,
  FixedIp,
  Network,
  Subnet,
  SecurityGroup,
  VolumeType,
  ProjectQuotas,
  ComputeQuotas,
  VolumeQuotas,
  NetworkQuotas,
  Node: { __resolveType: (obj) => (obj as unknown as { __typename: never }).__typename },
};
