// The executable schema: the SDL in schema/*.graphql (the single source of truth) joined to the resolvers.
// Built once and shared by both runtimes.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLSchema } from 'graphql';
import { resolvers } from '../resolvers/index.ts';

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
