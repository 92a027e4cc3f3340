// The query-cost limit (server.maxCost) and the learning it rests on, attached to the schema's resolvers so that
// both runtimes (Mercurius with graphql-jit, Apollo) apply it identically and to exactly the operation being run,
// with its variables coerced:
//  - every root field checks, once per request, the estimate of estimate-cost.ts against the limit before it
//    resolves; past it, every root field fails with MOSAIC_ERR_TOO_COSTLY naming the estimate and the limit, and
//    no upstream is called;
//  - every list field reports the length it resolved to, so the next estimate for this tenant scope uses what the
//    cloud really holds (datasources/planner/cardinality.ts), and an aggregate over a wide list (`fleet`) the
//    records it read (estimate-cost.ts UPSTREAM_READS);
//  - a query or mutation estimated at server.heavyCost or more first takes an admission slot (admission.ts): every
//    root field awaits the same per-request gate before its resolver runs, so neither a root resolver nor the
//    prefetch inside it (server/prefetch.ts) calls an upstream before the slot is held, on either runtime.
import {
  defaultFieldResolver,
  getNullableType,
  isListType,
  isObjectType,
  type GraphQLFieldResolver,
  type GraphQLResolveInfo,
  type GraphQLSchema,
} from 'graphql';
import { MosaicError } from '../../core/errors.ts';
import { tenantScope, type Caller } from '../../core/caller.ts';
import { observeLength, type CardinalityStats, type ListStat } from '../../datasources/planner/cardinality.ts';
import { estimateCost, recordsCoordinate } from './estimate-cost.ts';
import type { FleetRecord } from '../../resolvers/fleet-stats.ts';
import { RETRY_AFTER_SECONDS, admissionOf, type AdmissionLimits } from './admission.ts';
import type { RequestLifecycle } from '../context.ts';

/** What the guard reads from the request context. */
interface CostContext {
  callerOrNull: Caller | null;
  services: { cardinality: CardinalityStats; config: { server: { maxCost: number; heavyCost: number } & AdmissionLimits } };
  lifecycle?: RequestLifecycle;
}

interface RequestCost {
  table: Map<string, ListStat>;
  /** The estimate, or the refusal every root field answers with. */
  verdict?: number | MosaicError;
  /** A heavy request's admission: resolves once it holds a slot. */
  gate?: Promise<void>;
}

const perRequest = new WeakMap<object, RequestCost>();
const guarded = new WeakSet<GraphQLSchema>();

function requestCost(ctx: CostContext): RequestCost {
  let entry = perRequest.get(ctx);
  if (!entry) {
    const scope = ctx.callerOrNull ? tenantScope(ctx.callerOrNull) : 'anonymous';
    entry = { table: ctx.services.cardinality.scope(scope) };
    perRequest.set(ctx, entry);
  }
  return entry;
}

const ignore = () => {};

/** The admission gate of a heavy query or mutation that has an HTTP exchange to release its slot (admission.ts). */
function admit(ctx: CostContext, info: GraphQLResolveInfo, cost: number): Promise<void> | undefined {
  const { server } = ctx.services.config;
  const lifecycle = ctx.lifecycle;
  if (server.heavyCost === 0 || cost < server.heavyCost || !lifecycle || info.operation.operation === 'subscription') return undefined;
  const ticket = admissionOf(ctx.services, server).enter(cost);
  lifecycle.onEnd(ticket.release);
  const gate = ticket.ready.catch((err: unknown) => {
    lifecycle.overloaded(RETRY_AFTER_SECONDS);
    throw err;
  });
  gate.catch(ignore); // every root field awaits it; this only keeps a refusal from counting as unhandled meanwhile
  return gate;
}

function check(ctx: CostContext, info: GraphQLResolveInfo): Promise<void> | undefined {
  const entry = requestCost(ctx);
  if (entry.verdict === undefined) {
    const { maxCost: limit, heavyCost } = ctx.services.config.server;
    const table = entry.table;
    const cost =
      limit === 0 && heavyCost === 0
        ? 0
        : estimateCost({
            schema: info.schema,
            operation: info.operation,
            fragments: info.fragments,
            variables: info.variableValues,
            learned: (coordinate) => table.get(coordinate)?.mean,
          });
    entry.verdict =
      limit > 0 && cost > limit
        ? new MosaicError('MOSAIC_ERR_TOO_COSTLY', `This query would fetch about ${Math.round(cost)} values; the limit is ${limit} (server.maxCost).`)
        : cost;
    if (typeof entry.verdict === 'number') entry.gate = admit(ctx, info, cost);
  }
  if (entry.verdict instanceof MosaicError) throw entry.verdict;
  return entry.gate;
}

/** How many upstream records an UPSTREAM_READS field (estimate-cost.ts) read, told by its answer. */
const RECORDS_READ: Readonly<Record<string, (value: unknown) => number | undefined>> = {
  'Query.fleet': (value) => {
    const zones = (value as FleetRecord | null)?.zones;
    return Array.isArray(zones) ? zones.reduce((n, z) => n + (typeof z.instanceCount === 'number' ? z.instanceCount : 0), 0) : undefined;
  },
  'Query.instances': (value) => {
    const total = (value as { totalCount?: unknown } | null)?.totalCount;
    return typeof total === 'number' ? total : undefined;
  },
};

const isPromise = (v: unknown): v is Promise<unknown> => typeof (v as Promise<unknown> | null)?.then === 'function';

/** `resolve`, folding `measure` of each value it resolves to into the request's table under `coordinate`. */
function observing(
  resolve: GraphQLFieldResolver<unknown, CostContext>,
  coordinate: string,
  measure: (value: unknown) => number | undefined,
): GraphQLFieldResolver<unknown, CostContext> {
  const observe = (value: unknown, ctx: CostContext) => {
    const length = measure(value);
    if (length !== undefined) observeLength(requestCost(ctx).table, coordinate, length);
    return value;
  };
  return (source, args, ctx, info) => {
    const value = resolve(source, args, ctx, info);
    return isPromise(value) ? value.then((v) => observe(v, ctx)) : observe(value, ctx);
  };
}

/** Wraps the schema's root and list resolvers once; the schema is shared by every gateway in the process. */
export function guardCost(schema: GraphQLSchema): GraphQLSchema {
  if (guarded.has(schema)) return schema;
  guarded.add(schema);
  const roots = new Set([schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].filter(Boolean));
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      let resolve = (field.resolve ?? defaultFieldResolver) as GraphQLFieldResolver<unknown, CostContext>;
      const coordinate = `${type.name}.${field.name}`;
      if (isListType(getNullableType(field.type))) resolve = observing(resolve, coordinate, (v) => (Array.isArray(v) ? v.length : undefined));
      const recordsRead = RECORDS_READ[coordinate];
      if (recordsRead) resolve = observing(resolve, recordsCoordinate(coordinate), recordsRead);
      if (roots.has(type)) {
        const inner = resolve;
        resolve = (source, args, ctx: CostContext, info) => {
          const gate = check(ctx, info);
          return gate ? gate.then(() => inner(source, args, ctx, info)) : inner(source, args, ctx, info);
        };
      }
      if (resolve !== defaultFieldResolver) field.resolve = resolve as GraphQLFieldResolver<unknown, unknown>;
    }
  }
  return schema;
}
