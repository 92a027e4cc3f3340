// Command-line parsing shared by `mosaic serve|schema` (server/cli.ts) and `mosaic demo` (demo/cli.ts): the usage
// text, the options, and the overrides they make to the config.
import { parseArgs } from 'node:util';
import { ConfigError } from '../core/config.ts';

export const USAGE = `usage: mosaic <serve|demo|schema|operations> [options]
  serve   --config FILE  --port N  --host H  --runtime mercurius|apollo
  demo    --size tiny|small|medium|large  --latency MS  --port N  --runtime mercurius|apollo  --no-metrics
  schema  prints the GraphQL SDL
  operations register FILE…  registers persisted operations (Apollo manifest, persisted-documents.json, .graphql) in MongoDB`;

export function fail(message: string, code = 2): never {
  console.error(message);
  process.exit(code);
}

const OPTIONS = {
  config: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  runtime: { type: 'string' },
  size: { type: 'string' },
  latency: { type: 'string' },
  'no-metrics': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function parseCommandLine(argv: string[]) {
  try {
    return parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  } catch (err) {
    fail(`mosaic: ${(err as Error).message}\n${USAGE}`);
  }
}

/** `--port`, `--host` and `--runtime` as config overrides. */
export function serverOverrides(values: ReturnType<typeof parseCommandLine>['values']) {
  const server: Record<string, unknown> = {};
  if (values.port !== undefined) {
    if (!/^\d+$/.test(values.port)) fail('mosaic: --port must be an integer');
    server.port = Number(values.port);
  }
  if (values.host) server.host = values.host;
  if (values.runtime) server.runtime = values.runtime;
  return { server };
}

/** Runs a command, turning a config error into its message and exit code 2. */
export function runCli(run: () => Promise<void>) {
  run().catch((err) => {
    if (err instanceof ConfigError) fail(err.message, 2);
    console.error(err);
    process.exit(1);
  });
}
