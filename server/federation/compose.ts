// Start-up: each configured subgraph's SDL (`{ _service { sdl } }`, the federation subgraph spec:
// https://www.apollographql.com/docs/graphos/reference/federation/subgraph-spec) composed with Mosaic's own
// schema, presented as one more subgraph that owns the entity types with `@key`. Composition is
// @theguild/federation-composition's (the same rules as Apollo's composition: conflicting field types, fields
// defined twice without @shareable, keys naming unknown fields…); any error stops start-up with a ConfigError
// naming the subgraph and the conflict, before a single request is served.
import { Kind, parse, print, visit, type DocumentNode } from 'graphql';
import { composeServices } from '@theguild/federation-composition';
import { ConfigError, type SubgraphConfig } from '../../core/config.ts';
import { identityHeaders } from './caller-identity.ts';

/** Mosaic's entity types and their keys: what a subgraph may extend. */
export const MOSAIC_ENTITY_KEYS: Readonly<Record<string, string>> = { Instance: 'uuid', Project: 'projectId', Disk: 'backendId' };

export const MOSAIC_SUBGRAPH = 'mosaic';

/** Mosaic's SDL as a Federation v2 subgraph: its entity types keyed, everything else as is. */
export function mosaicSubgraphSdl(typeDefs: string): DocumentNode {
  const keyDirective = (fields: string) => ({
    kind: Kind.DIRECTIVE,
    name: { kind: Kind.NAME, value: 'key' },
    arguments: [{ kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: 'fields' }, value: { kind: Kind.STRING, value: fields } }],
  });
  const keyed = visit(parse(typeDefs), {
    ObjectTypeDefinition(node) {
      const key = MOSAIC_ENTITY_KEYS[node.name.value];
      return key ? { ...node, directives: [...(node.directives ?? []), keyDirective(key)] } : undefined;
    },
  });
  return parse(`extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])\n${print(keyed)}`);
}

/** A subgraph's SDL, read over HTTP with the gateway's secret (no caller: this is the gateway's own call). */
export async function fetchSubgraphSdl(subgraph: SubgraphConfig): Promise<string> {
  let body: { data?: { _service?: { sdl?: unknown } }; errors?: { message: string }[] };
  try {
    const res = await fetch(subgraph.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...identityHeaders(subgraph.secret, null) },
      body: JSON.stringify({ query: '{ _service { sdl } }' }),
      signal: AbortSignal.timeout(subgraph.timeoutMs),
    });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    body = (await res.json()) as typeof body;
  } catch (err) {
    throw new ConfigError(`config: subgraph "${subgraph.name}" (${subgraph.url}): cannot read its SDL (${(err as Error).message})`);
  }
  const sdl = body.data?._service?.sdl;
  if (typeof sdl !== 'string') {
    const why = body.errors?.map((e) => e.message).join('; ') ?? 'no _service.sdl in the answer';
    throw new ConfigError(`config: subgraph "${subgraph.name}" (${subgraph.url}) is not a federation subgraph: ${why}`);
  }
  return sdl;
}

/** Composes Mosaic with the subgraphs; throws a ConfigError listing every conflict, each naming its subgraph. */
export function composeWithMosaic(mosaicTypeDefs: string, subgraphs: { name: string; sdl: string }[]): void {
  const services = [{ name: MOSAIC_SUBGRAPH, typeDefs: mosaicSubgraphSdl(mosaicTypeDefs) }];
  for (const s of subgraphs) {
    try {
      services.push({ name: s.name, typeDefs: parse(s.sdl) });
    } catch (err) {
      throw new ConfigError(`config: subgraph "${s.name}": its SDL does not parse: ${(err as Error).message}`);
    }
  }
  const result = composeServices(services);
  if (result.errors && result.errors.length > 0) {
    const names = subgraphs.map((s) => `"${s.name}"`).join(', ');
    const problems = result.errors.map((e) => `  - ${e.message}${e.extensions?.code ? ` [${String(e.extensions.code)}]` : ''}`).join('\n');
    throw new ConfigError(`config: subgraph ${names} does not compose with Mosaic's schema:\n${problems}`);
  }
}
