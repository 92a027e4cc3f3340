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

export const resolvers: Resolvers = {
  DateTime,
  JSON: JSONScalar,
  Query: { ...Query, ...operationQueries },
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
  Instance,
  Flavor,
  Image,
  Disk,
  Port,
  FloatingIp,
  Project,
  Viewer,
  LoginResult,
  Fleet,
  ZoneStats,
  Node: { __resolveType: (obj) => (obj as unknown as { __typename: never }).__typename },
};
