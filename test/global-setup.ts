// Vitest global setup: one MongoDB for every test file — MONGODB_URI when set, otherwise a local FerretDB on a
// free port with its own throwaway data directory (test runs in parallel must not share SQLite files). The URI
// reaches the workers through provide/inject (test/helpers/mongo.ts). Without a database the MongoDB-backed
// suites skip with the reason printed — except in CI, where a missing database fails the run.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { resolveMongo } from '../subgraphs/ferretdb/local-mongo.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** MongoDB URI for the tests, or null when there is none. */
    mongoUri: string | null;
    /** Why there is no database (null when there is one). */
    mongoUnavailable: string | null;
  }
}

const DATA = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), '.data');

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | void> {
  mkdirSync(DATA, { recursive: true });
  const dataDir = mkdtempSync(join(DATA, 'ferretdb-test-'));
  const mongo = await resolveMongo({ dataDir });
  if ('unavailable' in mongo) {
    rmSync(dataDir, { recursive: true, force: true });
    if (process.env.CI) throw new Error(`MongoDB-backed tests cannot run: ${mongo.unavailable}`);
    console.warn(`\n[MongoDB-backed tests will be skipped] ${mongo.unavailable}\n`);
    project.provide('mongoUri', null);
    project.provide('mongoUnavailable', mongo.unavailable);
    return;
  }
  project.provide('mongoUri', mongo.uri);
  project.provide('mongoUnavailable', null);
  return async () => {
    await mongo.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
