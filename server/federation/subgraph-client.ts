// Calls to one subgraph, made through the request's UpstreamClient under the subgraph's own service name, so the
// call budget (server.maxUpstreamCalls), a circuit breaker of its own, the per-subgraph timeout
// (`subgraphs[].timeoutMs`, no retries: these are POSTs), metrics, logs and traces apply as to any upstream. Each
// call carries the gateway's secret and the caller's signed identity (caller-identity.ts), never the caller's
// token. Entity fields are fetched through one DataLoader per request and subgraph, dispatched by the request's
// BatchScheduler: every parent of a query level — even those arriving from different upstream answers — joins
// one `_entities` call; parents asking different selections (another argument value, other sub-fields) get
// their own aliased `_entities` field in that same call.
import type DataLoader from 'dataloader';
import type { SubgraphConfig } from '../../core/config.ts';
import type { ServiceName } from '../../core/services.ts';
import { MosaicError } from '../../core/errors.ts';
import { RequestState } from '../../datasources/planner/request-state.ts';
import type { RequestContext } from '../context.ts';
import { identityHeaders } from './caller-identity.ts';
import { trackerOf } from './level-tracker.ts';
import { subgraphError, type WireError } from './subgraph-error.ts';

/** Errors a subgraph reported inside a value, by their path relative to it (read by `descend`). */
export const LOCATED_ERRORS = Symbol('subgraph errors');

export interface LocatedError {
  path: (string | number)[];
  error: Error;
}

type Json = Record<string, unknown>;

/** Fixes `errors` to `value` (and, by path, into its objects and lists) without making them enumerable. */
export function attachErrors(value: unknown, errors: LocatedError[]): void {
  if (errors.length === 0 || value === null || typeof value !== 'object') return;
  Object.defineProperty(value, LOCATED_ERRORS, { value: errors, enumerable: false, configurable: true });
}

/**
 * The value at `key` of a subgraph's answer, its errors handed down to it. A null value with an error at
 * exactly that path (or, failing that, below it) raises that error, so the field is null with the subgraph's
 * coded error at the client's path.
 */
export function descend(parent: unknown, key: string): unknown {
  if (parent === null || typeof parent !== 'object') return null;
  const value = (parent as Json)[key];
  const errors = ((parent as { [LOCATED_ERRORS]?: LocatedError[] })[LOCATED_ERRORS] ?? []).filter((e) => e.path[0] === key);
  if (value === null || value === undefined) {
    const error = errors.find((e) => e.path.length === 1) ?? errors[0];
    if (error) throw error.error;
    return null;
  }
  const inner = errors.map((e) => ({ ...e, path: e.path.slice(1) }));
  if (Array.isArray(value))
    value.forEach((item, i) =>
      attachErrors(
        item,
        inner.filter((e) => e.path[0] === i).map((e) => ({ ...e, path: e.path.slice(1) })),
      ),
    );
  else attachErrors(value, inner);
  return value;
}

export interface EntityRequest {
  typename: string;
  /** The key fields' values, e.g. `{ uuid }`. */
  key: Json;
  /** The selection on the entity, as forward-selection.ts prints it. */
  selection: string;
}

export class SubgraphClient {
  private readonly loaders = new WeakMap<object, Map<number, DataLoader<EntityRequest, Json | null, string>>>();

  constructor(readonly config: SubgraphConfig) {}

  get name(): string {
    return this.config.name;
  }

  /** One POST to the subgraph; its `data` with its errors attached by path, or a MosaicError for the whole call. */
  async post(ctx: RequestContext, query: string, variables: Json = {}): Promise<Json> {
    const service = this.config.name;
    const response = await ctx.upstream.request<{ data?: unknown; errors?: WireError[] }>(
      service as ServiceName,
      {
        method: 'POST',
        url: this.config.url,
        headers: identityHeaders(this.config.secret, ctx.caller),
        json: { query, variables },
        accept: [400, 401, 403],
      },
      // Not in flight for the batch scheduler: the REST loaders wait for every tracked call before they dispatch a
      // level, and a subgraph's answer never brings them a parent (its types hold no Mosaic object), so waiting for
      // it would only add its round trip to Mosaic's own path. It still counts against server.maxUpstreamCalls.
      { tracked: false },
    );
    const info = { service, status: response.status, requestId: response.requestId };
    if (response.status === 401 || response.status === 403) {
      // The subgraph does not trust this gateway: a configuration problem, not the caller's.
      throw new MosaicError('MOSAIC_ERR_UPSTREAM_STATUS', `${service} refused the gateway (HTTP ${response.status}): check subgraphs[].secret`, info);
    }
    const body = response.body;
    if (body === null || typeof body !== 'object' || (!('data' in body) && !Array.isArray(body.errors))) {
      throw new MosaicError('MOSAIC_ERR_UPSTREAM_GARBLED', `${service} answered with a malformed body`, info);
    }
    const errors = Array.isArray(body.errors) ? body.errors : [];
    const data = body.data;
    if (data === null || data === undefined || typeof data !== 'object') {
      // A request error (the document did not validate on the subgraph) or a null root: every field fails.
      const first = errors[0] ?? { message: `${service} answered no data` };
      throw subgraphError(service, first);
    }
    attachErrors(
      data,
      errors.map((e) => ({ path: Array.isArray(e.path) ? (e.path as (string | number)[]) : [], error: subgraphError(service, e) })),
    );
    return data as Json;
  }

  /**
   * The request's `_entities` loader for this subgraph and the parents at `parentDepth` (one per request context
   * and level): its batch leaves as soon as no running resolver can add a parent at that depth (level-tracker.ts).
   */
  entities(ctx: RequestContext, parentDepth: number): DataLoader<EntityRequest, Json | null, string> {
    let byDepth = this.loaders.get(ctx);
    if (!byDepth) this.loaders.set(ctx, (byDepth = new Map()));
    let loader = byDepth.get(parentDepth);
    if (!loader) {
      const { batching } = ctx.services.config;
      const tracker = trackerOf(ctx);
      const state = new RequestState(ctx.caller, ctx.services.hints, ctx.upstream.scheduler, batching, ctx.upstream);
      const options = {
        cacheKeyFn: (r: EntityRequest) => `${r.typename}\n${r.selection}\n${JSON.stringify(r.key)}`,
        batchScheduleFn: (dispatch: () => void) => tracker.schedule(parentDepth, dispatch),
      };
      loader = state.loader<EntityRequest, Json | null, string>(`${this.name}._entities`, (requests) => this.fetchEntities(ctx, requests), options);
      byDepth.set(parentDepth, loader);
    }
    return loader;
  }

  /** One `_entities` call for a whole batch: an aliased `_entities` field per distinct (type, selection). */
  private async fetchEntities(ctx: RequestContext, requests: readonly EntityRequest[]): Promise<(Json | null | Error)[]> {
    const groups = new Map<string, { typename: string; selection: string; representations: Json[] }>();
    const where: { alias: string; index: number }[] = [];
    for (const r of requests) {
      const id = `${r.typename}\n${r.selection}`;
      let group = groups.get(id);
      if (!group) {
        group = { typename: r.typename, selection: r.selection, representations: [] };
        groups.set(id, group);
      }
      where.push({ alias: `e${[...groups.keys()].indexOf(id)}`, index: group.representations.length });
      group.representations.push({ __typename: r.typename, ...r.key });
    }
    const list = [...groups.values()];
    const query =
      `query MosaicEntities(${list.map((_, i) => `$r${i}: [_Any!]!`).join(', ')}) { ` +
      list.map((g, i) => `e${i}: _entities(representations: $r${i}) { ... on ${g.typename} { ${g.selection} } }`).join(' ') +
      ' }';
    const variables = Object.fromEntries(list.map((g, i) => [`r${i}`, g.representations]));
    let data: Json;
    try {
      data = await this.post(ctx, query, variables);
    } catch (err) {
      return requests.map(() => err as Error);
    }
    const errors = (data as { [LOCATED_ERRORS]?: LocatedError[] })[LOCATED_ERRORS] ?? [];
    return where.map(({ alias, index }) => {
      const entities = data[alias];
      const entity = Array.isArray(entities) ? (entities[index] as Json | null) : null;
      const mine = errors.filter((e) => e.path[0] === alias && (e.path.length === 1 || e.path[1] === index));
      if (entity === null || entity === undefined) return mine[0]?.error ?? null;
      attachErrors(
        entity,
        mine.filter((e) => e.path.length > 2).map((e) => ({ ...e, path: e.path.slice(2) })),
      );
      return entity;
    });
  }
}
