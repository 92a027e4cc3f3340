// The billing subgraph's schema (Apollo Federation v2, https://www.apollographql.com/docs/graphos/schema-design/federated-schemas/entities/intro):
// it extends the gateway's `Instance` (keyed by `uuid`) and `Disk` (keyed by `backendId`) with `cost(period)` and `Project` (keyed by `projectId`)
// with `costSoFar` and `bill(month)`, and owns `prices` and `invoices`. Entities are resolved from billing's own
// usage records, so a representation needs only its key: the gateway sends `{__typename, uuid}`, one `_entities`
// call per query level, and nothing else it knows. Every read is batched per request (one MongoDB query for all
// the representations of a call). Tenancy: a member sees their own project's costs only; administrators all.
import DataLoader from 'dataloader';
import { GraphQLError, GraphQLScalarType, Kind, parse, type GraphQLSchema } from 'graphql';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { Db } from 'mongodb';
import type { BillingCaller } from './trust.ts';
import { currentMonth, money, monthRange, priceString, type Money } from './money.ts';
import { CURRENCY, pricesOf, readPriceBook, type PriceBook } from './prices.ts';
import { charge, usageOf, type UsageDoc } from './usage.ts';
import type { BillingSnapshot } from './snapshot.ts';

export const BILLING_SDL = /* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])

  "An instant in ISO 8601, always UTC (e.g. 2026-01-01T00:00:00.000Z)."
  scalar DateTime

  "An amount of money: a decimal string, never a float, and its ISO 4217 currency."
  type Money {
    amount: String!
    currency: String!
  }

  "A half-open window of time [from, to)."
  input BillingPeriod {
    from: DateTime!
    to: DateTime!
  }

  enum PriceKind {
    FLAVOR
    VOLUME
    FLOATING_IP
  }

  "One entry of the price list; a change of price is a new entry with a later effectiveFrom."
  type Price {
    kind: PriceKind!
    "Flavor name; volumeType/BACKEND for volumes; floating-ip."
    key: String!
    "hour or GB-month (730 hours)."
    unit: String!
    price: Money!
    effectiveFrom: DateTime!
  }

  "What one resource costs in a bill."
  type BillLine {
    resourceId: ID!
    kind: PriceKind!
    name: String!
    priceKey: String!
    "Hours, or GB-months for volumes, as a decimal string."
    quantity: String!
    unit: String!
    "The price in force at the end of the billed time."
    unitPrice: Money!
    amount: Money!
  }

  "A project's charges for one month (to now, for the current month)."
  type Bill {
    projectId: ID!
    month: String!
    lines: [BillLine!]!
    "The sum of the lines, each rounded to the cent."
    total: Money!
  }

  type Instance @key(fields: "uuid") {
    uuid: ID!
    "What the instance cost within the period (null when billing has no record of it)."
    cost(period: BillingPeriod!): Money
  }

  type Disk @key(fields: "backendId") {
    "cinder:<volume uuid> or legacy:<disk id>, as the gateway names its disks."
    backendId: String!
    "What the disk cost within the period, per GB-month by volume type and backend (null when billing has no record of it)."
    cost(period: BillingPeriod!): Money
  }

  type Project @key(fields: "projectId") {
    projectId: ID!
    "The current month's charges so far."
    costSoFar: Money
    "The project's bill for a month, YYYY-MM."
    bill(month: String!): Bill
  }

  type Query {
    "The price list, every price ever in force."
    prices: [Price!]!
    "Bills for a month: one project's (a member's own by default), or every project's for administrators."
    invoices(projectId: ID, month: String!): [Bill!]!
  }
`;

export interface BillingContext {
  caller: BillingCaller | null;
  now: Date;
  prices(): Promise<PriceBook>;
  usageById: DataLoader<string, UsageDoc | null>;
  usageByProject: DataLoader<string, UsageDoc[]>;
  db: Db;
}

/** The per-request context: one price list read and batched usage reads (from memory with a snapshot: snapshot.ts). */
export function billingContext(db: Db, caller: BillingCaller | null, now = new Date(), snapshot?: BillingSnapshot): BillingContext {
  if (snapshot) {
    return {
      caller,
      now,
      db,
      prices: async () => (await snapshot.get()).prices,
      usageById: new DataLoader(async (ids) => {
        const { byId } = await snapshot.get();
        return ids.map((id) => byId.get(id) ?? null);
      }),
      usageByProject: new DataLoader(async (projectIds) => {
        const { byProject } = await snapshot.get();
        return projectIds.map((p) => byProject.get(p) ?? []);
      }),
    };
  }
  let prices: Promise<PriceBook> | undefined;
  return {
    caller,
    now,
    db,
    prices: () => (prices ??= readPriceBook(db)),
    usageById: new DataLoader(async (ids) => {
      const docs = await usageOf(db)
        .find({ _id: { $in: [...ids] } })
        .toArray();
      const byId = new Map(docs.map((d) => [d._id, d]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    usageByProject: new DataLoader(async (projectIds) => {
      const docs = await usageOf(db)
        .find({ projectId: { $in: [...projectIds] } })
        .toArray();
      return projectIds.map((p) => docs.filter((d) => d.projectId === p).sort((a, b) => a._id.localeCompare(b._id)));
    }),
  };
}

const coded = (message: string, code: string) => new GraphQLError(message, { extensions: { code } });

function requireCaller(ctx: BillingContext): BillingCaller {
  if (!ctx.caller) throw coded('Billing answers callers the gateway vouches for only.', 'UNAUTHENTICATED');
  return ctx.caller;
}

function requireProject(ctx: BillingContext, projectId: string): void {
  const caller = requireCaller(ctx);
  if (!caller.isAdmin && caller.projectId !== projectId) {
    throw coded(`Billing of project ${projectId} is visible to its members and administrators only.`, 'FORBIDDEN');
  }
}

interface BillRecord {
  projectId: string;
  month: string;
  lines: {
    resourceId: string;
    kind: string;
    name: string;
    priceKey: string;
    quantity: string;
    unit: string;
    unitPrice: Money;
    amount: Money;
  }[];
  total: Money;
}

async function billOf(ctx: BillingContext, projectId: string, month: string): Promise<BillRecord> {
  const range = monthRange(month);
  if (!range) throw coded(`month must be YYYY-MM (got "${month}")`, 'BAD_USER_INPUT');
  const [usage, prices] = await Promise.all([ctx.usageByProject.load(projectId), ctx.prices()]);
  const lines: BillRecord['lines'] = [];
  let total = 0n;
  for (const u of usage) {
    const c = charge(u, range.start, range.end, ctx.now, prices);
    if (!c || c.quantity === '0.0000') continue;
    total += c.cents;
    lines.push({
      resourceId: u._id,
      kind: u.kind,
      name: u.name,
      priceKey: u.priceKey,
      quantity: c.quantity,
      unit: c.unit,
      unitPrice: { amount: priceString(c.unitMicros ?? 0n), currency: CURRENCY },
      amount: money(c.cents, CURRENCY),
    });
  }
  return { projectId, month, lines, total: money(total, CURRENCY) };
}

const DateTime = new GraphQLScalarType({
  name: 'DateTime',
  serialize: (v) => (v instanceof Date ? v.toISOString() : String(v)),
  parseValue: (v) => parseInstant(v),
  parseLiteral: (ast) => (ast.kind === Kind.STRING ? parseInstant(ast.value) : undefined),
});

function parseInstant(v: unknown): Date {
  const d = typeof v === 'string' ? new Date(v) : new Date(NaN);
  if (Number.isNaN(d.getTime())) throw coded(`not an ISO 8601 instant: ${JSON.stringify(v)}`, 'BAD_USER_INPUT');
  return d;
}

interface InstanceRef {
  uuid: string;
  usage: UsageDoc | null;
}

/** Billing's usage id of a gateway disk: a Cinder volume by its uuid, a legacy disk as `legacy:<id>` (usage.ts). */
export const diskUsageId = (backendId: string): string | null => {
  const m = /^(cinder|legacy):(.{1,200})$/.exec(backendId);
  if (!m) return null;
  return m[1] === 'cinder' ? m[2] : backendId;
};

/** The cost of one usage record over a period, checked for the caller: shared by Instance.cost and Disk.cost. */
async function costOf(usage: UsageDoc | null, period: { from: Date; to: Date }, ctx: BillingContext): Promise<Money | null> {
  requireCaller(ctx);
  if (!usage) return null;
  requireProject(ctx, usage.projectId);
  if (!(period.from < period.to)) throw coded('period.from must be before period.to', 'BAD_USER_INPUT');
  const c = charge(usage, period.from, period.to, ctx.now, await ctx.prices());
  return c ? money(c.cents, CURRENCY) : null;
}

const resolvers = {
  DateTime,
  Instance: {
    __resolveReference: async (ref: { uuid: string }, ctx: BillingContext): Promise<InstanceRef> => ({
      uuid: ref.uuid,
      usage: await ctx.usageById.load(ref.uuid),
    }),
    cost: ({ usage }: InstanceRef, { period }: { period: { from: Date; to: Date } }, ctx: BillingContext) => costOf(usage, period, ctx),
  },
  Disk: {
    // Only volume records: a disk id that names an instance or a floating IP is no disk of billing's.
    __resolveReference: async (ref: { backendId: string }, ctx: BillingContext) => {
      const id = diskUsageId(ref.backendId);
      const usage = id ? await ctx.usageById.load(id) : null;
      return { backendId: ref.backendId, usage: usage?.kind === 'VOLUME' ? usage : null };
    },
    cost: ({ usage }: { usage: UsageDoc | null }, { period }: { period: { from: Date; to: Date } }, ctx: BillingContext) =>
      costOf(usage, period, ctx),
  },
  Project: {
    __resolveReference: (ref: { projectId: string }) => ({ projectId: ref.projectId }),
    costSoFar: async ({ projectId }: { projectId: string }, _: unknown, ctx: BillingContext) => {
      requireProject(ctx, projectId);
      return (await billOf(ctx, projectId, currentMonth(ctx.now))).total;
    },
    bill: ({ projectId }: { projectId: string }, { month }: { month: string }, ctx: BillingContext) => {
      requireProject(ctx, projectId);
      return billOf(ctx, projectId, month);
    },
  },
  Query: {
    prices: async (_: unknown, __: unknown, ctx: BillingContext) => {
      requireCaller(ctx);
      const docs = await pricesOf(ctx.db).find({}).toArray();
      return docs
        .sort((a, b) => a._id.localeCompare(b._id))
        .map((p) => ({ ...p, price: { amount: priceString(BigInt(p.micros)), currency: p.currency } }));
    },
    invoices: async (_: unknown, { projectId, month }: { projectId?: string | null; month: string }, ctx: BillingContext) => {
      const caller = requireCaller(ctx);
      if (projectId) {
        requireProject(ctx, projectId);
        return [await billOf(ctx, projectId, month)];
      }
      if (!caller.isAdmin) return [await billOf(ctx, caller.projectId, month)];
      const projects: string[] = (await usageOf(ctx.db).distinct('projectId')).sort();
      const bills = await Promise.all(projects.map((p) => billOf(ctx, p, month)));
      return bills.filter((b) => b.lines.length > 0);
    },
  },
};

export function buildBillingSchema(): GraphQLSchema {
  return buildSubgraphSchema({ typeDefs: parse(BILLING_SDL), resolvers: resolvers as never });
}
