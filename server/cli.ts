// The `mosaic` command (bin/mosaic.js sends `mosaic demo` to demo/cli.ts):
//   mosaic serve  [--config FILE] [--port N] [--host H] [--runtime mercurius|apollo]   against real upstreams
//   mosaic schema                                                                     prints the SDL
//   mosaic operations register FILE…   persisted operations (manifest JSON or .graphql) into the registry in MongoDB
import { USAGE, fail, parseCommandLine, runCli, serverOverrides } from './cli-args.ts';
import { loadConfig } from './load-config.ts';
import { readTypeDefs } from './schema.ts';
import { connectMetering } from './metering-connect.ts';
import { serveGateway } from './serve.ts';
import { registerOperations } from './register-operations.ts';

async function main() {
  const { positionals, values } = parseCommandLine(process.argv.slice(2));
  const command = positionals[0];
  if (values.help || !command) {
    console.log(USAGE);
    return;
  }
  if (command === 'schema') {
    process.stdout.write(readTypeDefs());
    return;
  }
  if (command === 'serve') {
    const config = loadConfig(values.config, process.env, serverOverrides(values));
    const metering = config.mongodb.uri ? await connectMetering(config.mongodb.uri, config.mongodb.database, console.log) : null;
    const url = await serveGateway(config, metering?.reader ?? null, async () => metering?.stop());
    console.log(`Mosaic (${config.server.runtime}) on ${url}`);
    if (!config.mongodb.uri) console.log('Metrics are off: set mongodb.uri in mosaic.config.yaml or MONGODB_URI to turn them on.');
    return;
  }
  if (command === 'operations' && positionals[1] === 'register') {
    const files = positionals.slice(2);
    if (!files.length) fail(`mosaic operations register: name the manifest or .graphql files\n${USAGE}`);
    await registerOperations(loadConfig(values.config, process.env), files, console.log);
    return;
  }
  fail(`mosaic: unknown command "${command}"${command === 'demo' ? ' here: run `npm start` or `mosaic demo`' : ''}\n${USAGE}`);
}

runCli(main);
