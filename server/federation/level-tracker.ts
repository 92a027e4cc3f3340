// When a query level of a subgraph's entities is complete, so its one `_entities` call can leave at once instead
// of waiting, as the REST loaders do, for every upstream call of the request to settle (datasources/planner/
// scheduler.ts). Waiting for all calls held a subgraph call behind unrelated branches: on the dashboard,
// `viewer.project.costSoFar` waited for the fleet's host lists although no host list can yield a project at that
// depth — the billing round trip was added after them, not beside them (bench/federation.ts measured it).
//
// A level is a field depth: the entity field at depth d (Instance.cost under `instances.nodes`) has parents at
// depth d−1. More parents at that depth can only come from a resolver still running at a shallower depth k whose
// return type reaches an extended entity type in exactly d−1−k steps of the schema's type graph (Host reaches Disk
// in 2: `instances`, `disks`). So Mosaic's resolvers on such paths are wrapped (only when subgraphs are configured)
// to count, per request, the promises still pending by (depth, return type); a level's batch is dispatched once
// none of them can still add a parent to it — checked after each settles, on setImmediate (after the promise jobs
// of the answer, so the resolvers it feeds have started) — or after `batching.maxWaitMs` at the latest.
import {
  getNamedType,
  isAbstractType,
  isObjectType,
  isInterfaceType,
  type GraphQLFieldResolver,
  type GraphQLNamedType,
  type GraphQLResolveInfo,
  type GraphQLSchema,
} from 'graphql';

/** How deep a type path is followed: deeper than Mosaic's own query depth limit is never needed. */
const MAX_STEPS = 16;

/** The field depth of a resolver call (list indexes not counted): a root field is 1. */
export function depthOf(info: Pick<GraphQLResolveInfo, 'path'>): number {
  let depth = 0;
  for (let p: GraphQLResolveInfo['path'] | undefined = info.path; p; p = p.prev) if (typeof p.key === 'string') depth++;
  return depth;
}

/** For each named type: the numbers of steps in which it reaches one of `targets` (bit i set: reachable in i steps). */
export function reachMasks(schema: GraphQLSchema, targets: ReadonlySet<string>): Map<string, number> {
  const children = new Map<string, string[]>();
  const objectsOf = (t: GraphQLNamedType): string[] => (isAbstractType(t) ? schema.getPossibleTypes(t).map((o) => o.name) : [t.name]);
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__') || !(isObjectType(type) || isInterfaceType(type))) continue;
    children.set(type.name, [...new Set(Object.values(type.getFields()).flatMap((f) => objectsOf(getNamedType(f.type))))]);
  }
  // masks[step][type]: reaches a target in exactly `step` steps; built from step 0 upwards.
  const masks = new Map<string, number>();
  let current = new Set([...targets]);
  for (let step = 0; step <= MAX_STEPS && current.size > 0; step++) {
    for (const name of current) masks.set(name, (masks.get(name) ?? 0) | (1 << step));
    const next = new Set<string>();
    for (const [name, kids] of children) if (kids.some((k) => current.has(k))) next.add(name);
    current = next;
  }
  // An abstract type reaches what any of its possible types reaches.
  for (const type of Object.values(schema.getTypeMap()))
    if (isAbstractType(type))
      masks.set(
        type.name,
        schema.getPossibleTypes(type).reduce((m, o) => m | (masks.get(o.name) ?? 0), masks.get(type.name) ?? 0),
      );
  return masks;
}

interface Waiter {
  /** Depth of the parents the batch waits for. */
  parentDepth: number;
  dispatch: () => void;
  timer: NodeJS.Timeout;
}

/** One request's pending producers and the batches waiting on them. */
export class LevelTracker {
  /** `depth type` → promises pending. */
  private readonly pending = new Map<string, { depth: number; mask: number; count: number }>();
  private waiters: Waiter[] = [];
  private checkQueued = false;

  constructor(private readonly maxWaitMs: number) {}

  /** Counts a resolver's promise as pending until it settles. */
  track(depth: number, mask: number, value: Promise<unknown>): void {
    const id = `${depth} ${mask}`;
    let entry = this.pending.get(id);
    if (!entry) this.pending.set(id, (entry = { depth, mask, count: 0 }));
    entry.count++;
    const done = () => {
      entry.count--;
      this.queueCheck();
    };
    value.then(done, done);
  }

  /** DataLoader's batchScheduleFn for the batch of parents at `parentDepth`. */
  schedule(parentDepth: number, dispatch: () => void): void {
    const waiter: Waiter = { parentDepth, dispatch, timer: undefined as never };
    waiter.timer = setTimeout(() => this.release(waiter), this.maxWaitMs);
    waiter.timer.unref?.();
    this.waiters.push(waiter);
    this.queueCheck();
  }

  /** True while a pending resolver may still yield an entity at `parentDepth`. */
  private mayAddTo(parentDepth: number): boolean {
    for (const { depth, mask, count } of this.pending.values()) {
      const steps = parentDepth - depth;
      if (count > 0 && steps >= 0 && steps <= MAX_STEPS && (mask & (1 << steps)) !== 0) return true;
    }
    return false;
  }

  private queueCheck(): void {
    if (this.checkQueued || this.waiters.length === 0) return;
    this.checkQueued = true;
    setImmediate(() => {
      this.checkQueued = false;
      for (const w of [...this.waiters]) if (!this.mayAddTo(w.parentDepth)) this.release(w);
    });
  }

  private release(waiter: Waiter): void {
    if (!this.waiters.includes(waiter)) return;
    clearTimeout(waiter.timer);
    this.waiters = this.waiters.filter((w) => w !== waiter);
    waiter.dispatch();
  }
}

const trackers = new WeakMap<object, LevelTracker>();

/** What the tracker needs of the request context: the batching bound (`batching.maxWaitMs`). */
interface TrackedContext {
  services: { config: { batching: { maxWaitMs: number } } };
}

/** The request's tracker (one per context object). */
export function trackerOf(ctx: TrackedContext): LevelTracker {
  let tracker = trackers.get(ctx);
  if (!tracker) trackers.set(ctx, (tracker = new LevelTracker(ctx.services.config.batching.maxWaitMs)));
  return tracker;
}

/**
 * Mosaic's resolvers of fields whose type reaches an extended entity, wrapped to report their pending promises
 * (`resolvers[type][field]`, merged over Mosaic's own by server/schema.ts). Sync answers cost one type check.
 */
export function trackingResolvers(
  mosaic: GraphQLSchema,
  extended: ReadonlySet<string>,
): Record<string, Record<string, GraphQLFieldResolver<unknown, TrackedContext>>> {
  const masks = reachMasks(mosaic, extended);
  const out: Record<string, Record<string, GraphQLFieldResolver<unknown, TrackedContext>>> = {};
  for (const type of Object.values(mosaic.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__') || type === mosaic.getSubscriptionType() || type === mosaic.getMutationType()) continue;
    for (const field of Object.values(type.getFields())) {
      const resolve = field.resolve;
      const mask = masks.get(getNamedType(field.type).name) ?? 0;
      if (!resolve || mask === 0) continue;
      (out[type.name] ??= {})[field.name] = (parent, args, ctx, info) => {
        const value = resolve(parent, args, ctx, info);
        if (value instanceof Promise) trackerOf(ctx).track(depthOf(info), mask, value);
        return value;
      };
    }
  }
  return out;
}
