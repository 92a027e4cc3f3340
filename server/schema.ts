// The executable schema: the SDL in schema/*.graphql (the single source of truth) joined to the resolvers.
// Built once and shared by both runtimes.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLSchema } from 'graphql';
import { resolvers } from '../resolvers/index.ts';
import type { SubgraphConfig } from '../core/config.ts';
import { federationExtension, loadSubgraphs } from './federation/federated-schema.ts';

export const SCHEMA_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'schema');

/** The SDL files concatenated, in a stable order (base first). */
export function readTypeDefs(): string {
  const files = fs
    .readdirSync(SCHEMA_DIR)
    .filter((f) => f.endsWith('.graphql'))
    .sort((a, b) => (a === 'base.graphql' ? -1 : b === 'base.graphql' ? 1 : a.localeCompare(b)));
  return files.map((f) => fs.readFileSync(path.join(SCHEMA_DIR, f), 'utf8')).join('\n');
}

let cached: GraphQLSchema | undefined;

export function buildSchema(): GraphQLSchema {
  cached ??= makeExecutableSchema({ typeDefs: readTypeDefs(), resolvers: resolvers as never });
  return cached;
}

/**
 * Mosaic's schema with the fields of the configured GraphQL subgraphs (`subgraphs`, README "Federated subgraphs"):
 * their SDLs are read and composed at start-up (a conflict is a ConfigError naming the subgraph) and their fields
 * fetched through `_entities` (server/federation/). Without subgraphs, buildSchema() itself.
 */
export async function buildFederatedSchema(subgraphs: readonly SubgraphConfig[]): Promise<GraphQLSchema> {
  if (subgraphs.length === 0) return buildSchema();
  const typeDefs = readTypeDefs();
  const extension = federationExtension(buildSchema(), await loadSubgraphs(subgraphs, typeDefs));
  return makeExecutableSchema({ typeDefs: [typeDefs, extension.typeDefs].filter(Boolean), resolvers: [resolvers, extension.resolvers] as never });
}
