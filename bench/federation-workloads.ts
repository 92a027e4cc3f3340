// The federated workloads of `npm run bench:federation`: the queries in test/fixtures/federation (project-bill,
// dashboard-cost, instance-detail-cost) with their callers and variables picked from the seeded cloud, and each
// one's twin without the subgraph's fields — the same query with every field billing answers taken out (and the
// variables only those fields used) — so the difference of the two at concurrency 1 is what federation adds.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kind, TypeInfo, getNamedType, parse, print, visit, visitWithTypeInfo, type GraphQLSchema } from 'graphql';
import type { Cloud } from '../subgraphs/seed/types.ts';
import { loadWorkloads, type CallerName } from './workloads.ts';

export const FEDERATION_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures', 'federation');
export const FEDERATED_WORKLOADS = ['project-bill', 'dashboard-cost', 'instance-detail-cost'] as const;

export interface FederatedWorkload {
  name: string;
  query: string;
  variables: Record<string, unknown>;
  caller: CallerName;
}

/** The last whole month before `now`, as the bill's month and as a period. */
export function lastMonth(now = new Date()): { month: string; from: string; to: string } {
  const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  return { month: from.toISOString().slice(0, 7), from: from.toISOString(), to: to.toISOString() };
}

export function loadFederatedWorkloads(cloud: Cloud, only?: string[]): FederatedWorkload[] {
  const period = lastMonth();
  const detail = loadWorkloads(cloud, ['instance-detail'])[0];
  const picks: Record<string, Omit<FederatedWorkload, 'name' | 'query'>> = {
    // A member's view of their own project's month (project web).
    'project-bill': { caller: 'alice', variables: period },
    'dashboard-cost': { caller: 'admin', variables: {} },
    'instance-detail-cost': { caller: 'admin', variables: { ...detail.variables, period: { from: period.from, to: period.to } } },
  };
  return FEDERATED_WORKLOADS.filter((n) => !only?.length || only.includes(n)).map((name) => ({
    name,
    query: fs.readFileSync(path.join(FEDERATION_DIR, `${name}.graphql`), 'utf8'),
    ...picks[name],
  }));
}

/**
 * `query` without the fields `fields` names (`Type.field`, e.g. Instance.cost, Query.invoices), fields left with an
 * empty selection dropped in turn, and variables no longer used dropped; `variables` trimmed to match.
 */
export function withoutFields(
  schema: GraphQLSchema,
  query: string,
  variables: Record<string, unknown>,
  fields: Set<string>,
): { query: string; variables: Record<string, unknown> } {
  const typeInfo = new TypeInfo(schema);
  let doc = visit(
    parse(query),
    visitWithTypeInfo(typeInfo, {
      Field() {
        const parent = typeInfo.getParentType();
        const field = typeInfo.getFieldDef();
        return parent && field && fields.has(`${getNamedType(parent).name}.${field.name}`) ? null : undefined;
      },
    }),
  );
  // Leaving a field, its selection may have become empty: drop it (bottom-up, so it cascades in one pass).
  doc = visit(doc, {
    Field: { leave: (node) => (node.selectionSet && node.selectionSet.selections.length === 0 ? null : undefined) },
  });
  const used = new Set<string>();
  visit(doc, { OperationDefinition: { enter: (op) => void visit(op.selectionSet, { Variable: (v) => void used.add(v.name.value) }) } });
  doc = visit(doc, { VariableDefinition: (d) => (used.has(d.variable.name.value) ? undefined : null) });
  // Comments do not survive parse/print; the operation keeps its name plus a suffix, so logs tell them apart.
  doc = visit(doc, {
    OperationDefinition: (op) => (op.name ? { ...op, name: { kind: Kind.NAME, value: `${op.name.value}WithoutSubgraphs` } } : undefined),
  });
  return { query: print(doc), variables: Object.fromEntries(Object.entries(variables).filter(([k]) => used.has(k))) };
}
