// An in-browser query console at /graphiql that needs no internet: a single self-contained page (no CDN
// scripts), with the token field, the workload queries' shape as the default, and pretty-printed results.
import type { FastifyInstance } from 'fastify';

const DEFAULT_QUERY = `query FleetTree {
  zones {
    name
    hosts {
      hostname
      status
      instances { name status flavor { vcpus ramMb } image { name } disks { sizeGb backend } }
    }
  }
}`;

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Mosaic — GraphQL console</title>
<style>
  body { margin: 0; font: 14px system-ui, sans-serif; display: grid; grid-template-rows: auto 1fr; height: 100vh; }
  header { display: flex; gap: .5rem; align-items: center; padding: .5rem; background: #1d2a3a; color: #fff; }
  header input { flex: 1; font: inherit; padding: .25rem; }
  main { display: grid; grid-template-columns: 1fr 1fr; min-height: 0; }
  section { display: grid; grid-template-rows: 2fr auto 1fr; min-height: 0; }
  textarea, pre { margin: 0; padding: .5rem; font: 13px ui-monospace, monospace; border: 1px solid #ccc; overflow: auto; }
  pre { background: #f7f7f7; white-space: pre-wrap; }
  button { font: inherit; padding: .25rem 1rem; }
  label { padding: .25rem .5rem; color: #555; }
</style></head>
<body>
<header><strong>Mosaic</strong>
  <input id="token" placeholder="Keystone token (X-Auth-Token) — or run the login mutation" autocomplete="off">
  <button id="run" title="Ctrl+Enter">Run ▶</button></header>
<main>
  <section>
    <textarea id="query" spellcheck="false"></textarea>
    <label for="variables">Variables (JSON)</label>
    <textarea id="variables" spellcheck="false">{}</textarea>
  </section>
  <pre id="result" aria-live="polite"></pre>
</main>
<script>
  const $ = (id) => document.getElementById(id);
  $('query').value = localStorage.getItem('mosaic.query') || ${JSON.stringify(DEFAULT_QUERY)};
  $('token').value = new URLSearchParams(location.hash.slice(1)).get('token') || localStorage.getItem('mosaic.token') || '';
  async function run() {
    localStorage.setItem('mosaic.query', $('query').value);
    localStorage.setItem('mosaic.token', $('token').value);
    let variables;
    try { variables = JSON.parse($('variables').value || '{}'); } catch (e) { $('result').textContent = 'Variables are not valid JSON: ' + e.message; return; }
    $('result').textContent = '…';
    const started = performance.now();
    const res = await fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json', 'x-auth-token': $('token').value },
      body: JSON.stringify({ query: $('query').value, variables }) });
    const body = await res.json();
    const token = body?.data?.login?.token;
    if (token) { $('token').value = token; localStorage.setItem('mosaic.token', token); }
    $('result').textContent = '// ' + res.status + ' in ' + Math.round(performance.now() - started) + ' ms\\n' + JSON.stringify(body, null, 2);
  }
  $('run').onclick = run;
  document.addEventListener('keydown', (e) => { if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') run(); });
</script>
</body></html>`;

export function registerGraphiql(app: FastifyInstance): void {
  app.get('/graphiql', async (_, reply) => reply.type('text/html; charset=utf-8').send(PAGE));
  app.get('/', async (_, reply) => reply.redirect('/graphiql'));
}
