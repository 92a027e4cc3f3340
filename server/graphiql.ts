// GraphiQL at /graphiql, working with no internet: the page loads GraphiQL 3 and React 18 from this server
// (their UMD builds, straight from node_modules) instead of a CDN. The caller's token goes in GraphiQL's
// headers editor (prefilled from `#token=…`, which `mosaic demo` prints), so a frontend developer can click
// through the graph right after `npm start`.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';

const require = createRequire(import.meta.url);

/** Files served under /graphiql/assets/, resolved once at start-up. */
const ASSETS: Record<string, { file: string; type: string }> = {
  'react.js': { file: 'react/umd/react.production.min.js', type: 'application/javascript' },
  'react-dom.js': { file: 'react-dom/umd/react-dom.production.min.js', type: 'application/javascript' },
  'graphiql.js': { file: 'graphiql/graphiql.min.js', type: 'application/javascript' },
  'graphiql.css': { file: 'graphiql/graphiql.min.css', type: 'text/css' },
};

const DEFAULT_QUERY = `# Mosaic: one graph over the cloud. Put your token in the Headers tab ({"X-Auth-Token": "…"}),
# or run the login mutation below and copy its token there.
#
# mutation { login(username: "admin", password: "admin") { token } }

query FleetTree {
  zones {
    name
    hosts {
      hostname
      status
      instances { name status flavor { vcpus ramMb } image { name } disks { sizeGb backend } }
    }
  }
}
`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Mosaic — GraphiQL</title>
  <style>body { margin: 0; height: 100vh; } #graphiql { height: 100vh; }</style>
  <link rel="stylesheet" href="/graphiql/assets/graphiql.css">
  <script src="/graphiql/assets/react.js"></script>
  <script src="/graphiql/assets/react-dom.js"></script>
  <script src="/graphiql/assets/graphiql.js"></script>
</head>
<body>
  <div id="graphiql">Loading GraphiQL…</div>
  <script>
    const token = new URLSearchParams(location.hash.slice(1)).get('token');
    const headers = token ? JSON.stringify({ 'X-Auth-Token': token }, null, 2) : undefined;
    const fetcher = GraphiQL.createFetcher({ url: new URL('/graphql', location.href).href });
    ReactDOM.createRoot(document.getElementById('graphiql')).render(
      React.createElement(GraphiQL, { fetcher, defaultQuery: ${JSON.stringify(DEFAULT_QUERY)}, headers, shouldPersistHeaders: true, defaultEditorToolsVisibility: Boolean(headers) }),
    );
  </script>
</body>
</html>`;

export function registerGraphiql(app: FastifyInstance): void {
  const assets = new Map<string, { body: Buffer; type: string }>();
  for (const [name, { file, type }] of Object.entries(ASSETS)) {
    const pkg = file.slice(0, file.indexOf('/'));
    const root = path.dirname(require.resolve(`${pkg}/package.json`));
    assets.set(name, { body: fs.readFileSync(path.join(root, file.slice(pkg.length + 1))), type });
  }
  app.get('/graphiql', async (_, reply) => reply.type('text/html; charset=utf-8').send(PAGE));
  app.get<{ Params: { name: string } }>('/graphiql/assets/:name', async (request, reply) => {
    const asset = assets.get(request.params.name);
    if (!asset) return reply.code(404).send({ error: 'not found' });
    return reply.type(asset.type).header('cache-control', 'public, max-age=86400').send(asset.body);
  });
  app.get('/', async (_, reply) => reply.redirect('/graphiql'));
}
