// How long each list of the graph turns out to be, learned from the answers themselves: for every list field
// (`Zone.hosts`, `Host.instances`, `Instance.disks`, `InstanceConnection.nodes`…) the mean length per parent,
// per tenant scope (an administrator's `Zone.hosts` spans every project, a member's does not). The query-cost
// limit (server/limits/) multiplies these to estimate what a query will fetch before anything is called, so
// `zones { hosts { instances } }` costs what this cloud actually holds, not a guess per level. Long-lived and
// shared by every request; holds sizes only, never caller-visible data. Means are exponentially weighted per
// observation, so a cloud that grows or shrinks is followed within a few requests.

/** Weight of one new observation: ~50 observations dominate the mean. */
const ALPHA = 0.02;

export interface ListStat {
  mean: number;
  observations: number;
}

export class CardinalityStats {
  private readonly scopes = new Map<string, Map<string, ListStat>>();

  constructor(private readonly maxScopes = 10_000) {}

  /** The per-scope table, created on first use; a request looks it up once and observes into it. */
  scope(scope: string): Map<string, ListStat> {
    let table = this.scopes.get(scope);
    if (!table) {
      if (this.scopes.size >= this.maxScopes) this.scopes.delete(this.scopes.keys().next().value!);
      table = new Map();
      this.scopes.set(scope, table);
    }
    return table;
  }

  /** The learned mean length of list `coordinate` (`Type.field`) in `scope`, if any was seen. */
  mean(scope: string, coordinate: string): number | undefined {
    return this.scopes.get(scope)?.get(coordinate)?.mean;
  }
}

/** Folds one observed list length into a scope's table. The first observation is taken as it is. */
export function observeLength(table: Map<string, ListStat>, coordinate: string, length: number): void {
  const stat = table.get(coordinate);
  if (!stat) {
    table.set(coordinate, { mean: length, observations: 1 });
    return;
  }
  // Early on, a plain running mean (weight 1/n); later a fixed weight so old sizes fade.
  const weight = Math.max(ALPHA, 1 / (stat.observations + 1));
  stat.mean += (length - stat.mean) * weight;
  stat.observations++;
}
