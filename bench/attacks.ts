// The attack set of `npm run bench:attack` (bench/attack.ts), as data: requests a hostile or careless client
// sends to make one request cost the gateway (or its upstreams) far more than an ordinary one, or to learn
// what it should not. Issue #13's target: each is refused or bounded — answered within 200 ms, no response
// over 5 MB, no more upstream calls than server.maxUpstreamCalls, no 5xx, nothing leaked — while a bystander's
// ordinary query is never delayed by more than 100 ms. The graphql-cop entries follow its checks
// (https://github.com/dolevf/graphql-cop, lib/tests/), adapted where noted. Ids are real ones of the seeded
// cloud (the parent builds the same cloud as the cloud child: same size, same seed).
import { getIntrospectionQuery } from 'graphql';
import type { Cloud } from '../subgraphs/seed/types.ts';
import { toGlobalId } from '../resolvers/global-id.ts';

/** Who sends it: no token, a project member (alice, project web), or an administrator. */
export type AttackCaller = 'none' | 'member' | 'admin';

export interface AttackRequest {
  method: 'GET' | 'POST';
  /** GET: the URL parameters. */
  params?: Record<string, string>;
  /** POST: the body as sent, and its type. */
  contentType?: string;
  body?: string;
}

export interface AttackAnswer {
  status: number;
  /** The response body (its first 64 MB). */
  text: string;
}

export interface Attack {
  name: string;
  description: string;
  caller: AttackCaller;
  request: AttackRequest;
  /** An extra target of this attack (beyond time, size, calls and no leak): a problem, or null when met. */
  check?: (answer: AttackAnswer) => string | null;
}

const json = (payload: unknown): AttackRequest => ({ method: 'POST', contentType: 'application/json', body: JSON.stringify(payload) });
const repeat = (n: number, f: (i: number) => string, sep = ' ') => Array.from({ length: n }, (_, i) => f(i)).join(sep);

/** `levels` fragments, each spreading the next twice: 2^levels selections once expanded (test/gateway/limits.test.ts). */
function doublingFragments(levels: number, leaf: string): string {
  const fragments = Array.from({ length: levels }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`);
  return `query { ...F0 }\n${fragments.join('\n')}\nfragment F${levels} on Query { ${leaf} }`;
}

/**
 * Instance.disks ↔ Disk.instance with 4 aliases at each level, down to the depth limit (12): 4^9 ≈ 262,000
 * selections once expanded, in a document of a few hundred bytes (each level is a fragment).
 */
function diskInstanceAliases(): string {
  const names = ['a', 'b', 'c', 'd'];
  const fragments: string[] = [];
  const levels = 9; // instances(1) nodes(2), then disks/instance alternating at depths 3…11, leaves at 12
  for (let l = 0; l < levels; l++) {
    const onDisk = l % 2 === 1;
    const field = onDisk ? 'instance' : 'disks';
    const inner = l === levels - 1 ? 'name' : `...L${l + 1}`;
    fragments.push(`fragment L${l} on ${onDisk ? 'Disk' : 'Instance'} { ${names.map((n) => `${n}: ${field} { ${inner} }`).join(' ')} }`);
  }
  return `{ instances(first: 50) { nodes { ...L0 } } }\n${fragments.join('\n')}`;
}

/** zones → hosts → instances → host → instances … to depth 12 (the host ↔ instances cycle). */
function hostInstanceCycle(): string {
  // zones(1) hosts(2) instances(3) host(4) instances(5) host(6) instances(7) host(8) instances(9) host(10) instances(11) name(12)
  let inner = 'instances { name }';
  for (let i = 0; i < 4; i++) inner = `instances { host { ${inner} } }`;
  return `{ zones { hosts { ${inner} } } }`;
}

/** `__schema` … `fields { type { fields { type …` as deep as the depth limit lets it go. */
function circularIntrospection(): string {
  let inner = 'name';
  for (let i = 0; i < 4; i++) inner = `fields { type { ${inner} } }`;
  return `{ __schema { types { ${inner} } } }`;
}

/** Text no answer should carry: a stack trace, an exception object, a file path, a tracing extension. */
export function leakIn(text: string): string | null {
  if (/"stacktrace"/i.test(text)) return 'stacktrace in the body';
  if (/"exception"\s*:/i.test(text)) return 'exception in the body';
  if (/\bat [\w.<>$]+ \((?:file:|\/)[^)]*:\d+:\d+\)/.test(text) || /node_modules\//.test(text)) return 'stack frame or file path in the body';
  if (/"tracing"\s*:/.test(text)) return 'tracing extension in the body';
  return null;
}

const noData = (what: string) => (a: AttackAnswer) => (/"data"\s*:\s*\{/.test(a.text) ? `${what} ran (the body has data)` : null);

export function buildAttacks(cloud: Cloud): Attack[] {
  // nodes(ids:) with 1,000 ids: every real one first, then well-formed ids of objects that do not exist.
  const maxDisk = Math.max(...cloud.legacyDisks.map((d) => d.id));
  const diskIds = Array.from({ length: 1000 }, (_, i) =>
    toGlobalId('Disk', `legacy:${i < cloud.legacyDisks.length ? cloud.legacyDisks[i].id : maxDisk + 1 + i}`),
  );
  const imageIds = Array.from({ length: 1000 }, (_, i) =>
    toGlobalId('Image', i < cloud.images.length ? cloud.images[i].id : `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`),
  );
  const nodesQuery = 'query ($ids: [ID!]!) { nodes(ids: $ids) { id __typename } }';
  const schemaAliases = `{ ${repeat(500, (i) => `s${i}: __schema { types { name fields { name type { name } } } }`)} }`;
  const boundary = 'mosaic-bench-boundary';
  const attacks: Attack[] = [
    {
      name: 'fragment-doubling-22',
      description: '22 fragments each spreading the next twice (2^22 × 2 aliased __typename once expanded), no token',
      caller: 'none',
      request: json({ query: doublingFragments(22, 'a: __typename b: __typename') }),
    },
    {
      name: 'host-instance-cycle',
      description: 'zones → hosts → instances → host → instances … to depth 12, as admin (every host × every instance, four times over)',
      caller: 'admin',
      request: json({ query: hostInstanceCycle() }),
    },
    {
      name: 'disk-instance-aliases',
      description: 'a member walks Instance.disks ↔ Disk.instance with 4 aliases per level to depth 12 (fragments: 4^9 selections expanded)',
      caller: 'member',
      request: json({ query: diskInstanceAliases() }),
    },
    {
      name: 'schema-aliases-500-anonymous',
      description: '500 aliased __schema { types { fields { type } } } selections, no token',
      caller: 'none',
      request: json({ query: schemaAliases }),
    },
    {
      name: 'schema-aliases-500-admin',
      description: 'the same 500 aliased __schema selections with an admin token',
      caller: 'admin',
      request: json({ query: schemaAliases }),
    },
    {
      name: 'instances-aliases-1000',
      description: '1,000 aliases of a Nova-backed field (i0: instances(first: 1) { … } i1: …), as a member',
      caller: 'member',
      request: json({ query: `{ ${repeat(1000, (i) => `i${i}: instances(first: 1) { nodes { name } }`)} }` }),
    },
    {
      name: 'nodes-1000-legacy-disks',
      description: `nodes(ids:) with 1,000 legacy disk ids (${Math.min(1000, cloud.legacyDisks.length)} real), as admin`,
      caller: 'admin',
      request: json({ query: nodesQuery, variables: { ids: diskIds } }),
    },
    {
      name: 'nodes-1000-images',
      description: `nodes(ids:) with 1,000 image ids (${Math.min(1000, cloud.images.length)} real, the rest well-formed but unknown), as admin`,
      caller: 'admin',
      request: json({ query: nodesQuery, variables: { ids: imageIds } }),
    },
    {
      name: 'tokens-100k',
      description: 'a query of 100,000 lexical tokens (~200 KB, under the body limit), no token',
      caller: 'none',
      request: json({ query: `{ ${'a '.repeat(99_998)}}` }),
    },
    {
      name: 'body-2mb',
      description: 'a 2 MB JSON body (a padded variable), no token',
      caller: 'none',
      request: json({ query: '{ __typename }', variables: { pad: 'x'.repeat(2 * 2 ** 20) } }),
    },
    {
      name: 'malformed-json',
      description: 'a truncated JSON body, as a member',
      caller: 'member',
      request: { method: 'POST', contentType: 'application/json', body: '{"query": "{ viewer { userName } }"' },
    },
    {
      name: 'form-encoded',
      description: 'application/x-www-form-urlencoded query, no token (a cross-site form post)',
      caller: 'none',
      request: { method: 'POST', contentType: 'application/x-www-form-urlencoded', body: `query=${encodeURIComponent('{ viewer { userName } }')}` },
      check: noData('a cross-site form post'),
    },
    {
      name: 'multipart',
      description: 'multipart/form-data query, no token (a cross-site form post)',
      caller: 'none',
      request: {
        method: 'POST',
        contentType: `multipart/form-data; boundary=${boundary}`,
        body: `--${boundary}\r\nContent-Disposition: form-data; name="query"\r\n\r\n{ zones { name } }\r\n--${boundary}--\r\n`,
      },
      check: noData('a cross-site form post'),
    },
    {
      name: 'get-with-token',
      description: 'GET ?query={ viewer { userName } } with a member token (allowed: a token header needs a preflight)',
      caller: 'member',
      request: { method: 'GET', params: { query: '{ viewer { userName } }' } },
    },
    {
      name: 'get-without-token',
      description: 'GET ?query={ zones { name } } without a token or CSRF header (a cross-site GET)',
      caller: 'none',
      request: { method: 'GET', params: { query: '{ zones { name } }' } },
      check: noData('a cross-site GET'),
    },
    {
      name: 'cop-alias-overloading',
      description: 'graphql-cop alias overloading: 101 aliases of __typename, no token',
      caller: 'none',
      request: json({ query: `query { ${repeat(101, (i) => `alias${i}:__typename`)} }` }),
    },
    {
      name: 'cop-batch-100',
      description: 'graphql-cop batch queries: a JSON array of 100 operations (each a Nova-backed instances(first: 1)), as a member',
      caller: 'member',
      request: json(Array.from({ length: 100 }, () => ({ query: '{ instances(first: 1) { nodes { name } } }' }))),
    },
    {
      name: 'cop-directive-overloading-1000',
      description: 'directive overloading: @include(if: true) × 1,000 on one field, as a member',
      caller: 'member',
      request: json({ query: `{ viewer { userName ${'@include(if: true) '.repeat(1000)}} }` }),
    },
    {
      name: 'cop-directive-overloading-unknown',
      description: "graphql-cop's own check: __typename @aa × 10 (an unknown directive), no token",
      caller: 'none',
      request: json({ query: `query { __typename ${'@aa'.repeat(10)} }` }),
    },
    {
      name: 'cop-field-duplication-10000',
      description: 'graphql-cop field duplication: __typename × 10,000, no token',
      caller: 'none',
      request: json({ query: `query { ${'__typename '.repeat(10_000)}}` }),
    },
    {
      name: 'field-duplication-4990',
      description: '__typename × 4,990: field duplication just inside server.maxTokens (5,000), no token',
      caller: 'none',
      request: json({ query: `query { ${'__typename '.repeat(4_990)}}` }),
    },
    {
      name: 'cop-circular-introspection',
      description: 'graphql-cop circular introspection: __schema { types { fields { type { fields { type … } } } } } to the depth limit, as admin',
      caller: 'admin',
      request: json({ query: circularIntrospection() }),
    },
    {
      name: 'cop-circular-fragment',
      description: 'graphql-cop circular fragment: A spreads B, B spreads A, on __Schema, as admin',
      caller: 'admin',
      request: json({ query: 'query { __schema { ...A } } fragment A on __Schema { __typename ...B } fragment B on __Schema { ...A }' }),
    },
    {
      name: 'cop-get-mutation',
      description: 'graphql-cop GET-based mutation: GET ?query=mutation { login(…) } with a member token',
      caller: 'member',
      request: { method: 'GET', params: { query: 'mutation { login(username: "alice", password: "alice") { token } }' } },
      check: (a) => (/"login"\s*:\s*\{/.test(a.text) ? 'the mutation ran over GET' : null),
    },
    {
      name: 'cop-trace-mode',
      description: 'graphql-cop trace mode: { __typename } asking for extensions.tracing, no token; no tracing or stack in the answer',
      caller: 'none',
      request: json({ query: 'query { __typename }', extensions: { tracing: true } }),
    },
    {
      name: 'cop-field-suggestions',
      description: 'graphql-cop field suggestions (adapted: { zones { nmae } }, since __schema needs a token), no token: no "Did you mean"',
      caller: 'none',
      request: json({ query: '{ zones { nmae } }' }),
      check: (a) => (/Did you mean/.test(a.text) ? 'field suggestions shown to a caller without a token' : null),
    },
    {
      name: 'cop-introspection',
      description: 'graphql-cop introspection: the full introspection query, no token',
      caller: 'none',
      request: json({ query: getIntrospectionQuery() }),
      check: (a) => (/"__schema"\s*:\s*\{/.test(a.text) ? 'the schema was introspected without a token' : null),
    },
    {
      name: 'cop-unhandled-error',
      description: "graphql-cop unhandled errors: 'qwerty cop { abc }' (not GraphQL), no token; no exception in the answer",
      caller: 'none',
      request: json({ query: 'qwerty cop { abc }' }),
    },
    {
      name: 'resolver-error',
      description: 'resolvers that throw: instance(id: "%%%") and zone(id: <Zone:abc>), as a member; no stack in the answer',
      caller: 'member',
      request: json({ query: `{ instance(id: "%%%") { name } zone(id: "${toGlobalId('Zone', 'abc')}") { name } }` }),
    },
  ];
  return attacks;
}
