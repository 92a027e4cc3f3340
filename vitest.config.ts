// Test runner config: suites start real servers on loopback, so give them room and run files in parallel forks.
import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  // Node resolves `graphql` to its CommonJS build (package.json "main") for our code and for every library
  // (mercurius, @graphql-tools, Apollo); Vite would pick the "module" build for our code alone, and graphql-js
  // refuses to mix types from two copies ("from another module or realm"). One copy, as in production.
  resolve: { alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }] },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    globalSetup: ['test/global-setup.ts'],
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
