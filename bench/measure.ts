// The measurements the parent makes against a running gateway child: upstream calls of one query (read from
// the emulators' own counters), and load runs with autocannon as a library — latency at concurrency 1 and
// requests/s at higher concurrency, with the gateway's CPU time and peak RSS over the run, and every response
// body checked for GraphQL errors.
import { createRequire } from 'node:module';
import type { CloudInfo } from './cloud-process.ts';
import type { GatewayChild, Sample } from './children.ts';
import { SERVICES, type Service } from './floors.ts';

interface Histogram {
  average: number;
  mean: number;
  min: number;
  max: number;
  p50: number;
  p99: number;
  total: number;
}
interface AutocannonResult {
  requests: Histogram;
  latency: Histogram;
  errors: number;
  timeouts: number;
  non2xx: number;
  duration: number;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;
// autocannon ships no types; it is CommonJS.
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

export interface GraphqlRequest {
  query: string;
  variables: Record<string, unknown>;
  /** The token of single requests (and of every connection when `sessions` is absent). */
  token: string;
  /** Tokens of the same user, one per load connection: each connection is its own client session. */
  sessions?: string[];
  /** A single request (not a load run) gives up after this; default 60 s. */
  timeoutMs?: number;
}

export interface CallCount {
  byService: Record<Service, number>;
  total: number;
  /** "METHOD /route" → count, for explaining a gap. */
  byRoute: Record<string, number>;
  /** Wall time of the one query, ms. */
  elapsedMs: number;
  /** Upstream response body bytes the gateway received for the one query (its own count, core/diagnostics.ts). */
  upstreamBytes: number;
  /** The response, to compare variants and to list its errors. */
  body: { data?: unknown; errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string; mosaicCode?: string } }[] };
}

/** One request; no answer within `r.timeoutMs` is an answer with one error saying so (status 0), not a throw. */
export async function postGraphql(url: string, r: GraphqlRequest): Promise<{ status: number; body: CallCount['body'] }> {
  const timeoutMs = r.timeoutMs ?? 60_000;
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-auth-token': r.token },
      body: JSON.stringify({ query: r.query, variables: r.variables }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: res.status, body: (await res.json()) as CallCount['body'] };
  } catch (err) {
    const timedOut = (err as Error).name === 'TimeoutError';
    const message = timedOut ? `no answer within ${timeoutMs / 1000} s` : `request failed: ${(err as Error).message}`;
    return { status: 0, body: { errors: [{ message, extensions: { code: timedOut ? 'BENCH_TIMEOUT' : 'BENCH_REQUEST_FAILED' } }] } };
  }
}

/** Resets every emulator's counters, runs ONE query, and reads the counters (and the gateway's upstream bytes) back. */
export async function countCalls(cloud: CloudInfo, gateway: GatewayChild, r: GraphqlRequest): Promise<CallCount> {
  await Promise.all(SERVICES.map((s) => fetch(`${cloud.urls[s]}/_emulator/reset`, { method: 'POST' })));
  const bytesBefore = (await gateway.sample()).upstreamBytes;
  const started = performance.now();
  const { body } = await postGraphql(gateway.url, r);
  const elapsedMs = performance.now() - started;
  // Calls a resolver started but the answer did not wait for (none expected) would land after this: wait for idle.
  const upstreamBytes = (await waitIdle(gateway, 5_000)).upstreamBytes - bytesBefore;
  const stats = await Promise.all(
    SERVICES.map(async (s) => {
      const res = await fetch(`${cloud.urls[s]}/_emulator/stats`);
      return [s, (await res.json()) as { total: number; byRoute: Record<string, number> }] as const;
    }),
  );
  // The gateway's background revocation-event polls (datasources/keystone/revocations.ts) are not the query's calls.
  for (const [, st] of stats) {
    for (const [route, n] of Object.entries(st.byRoute)) {
      if (route.includes('/OS-REVOKE/')) {
        st.total -= n;
        delete st.byRoute[route];
      }
    }
  }
  const byService = Object.fromEntries(stats.map(([s, st]) => [s, st.total])) as Record<Service, number>;
  const byRoute: Record<string, number> = {};
  for (const [s, st] of stats) for (const [route, n] of Object.entries(st.byRoute)) byRoute[`${s} ${route}`] = n;
  return { byService, total: SERVICES.reduce((a, s) => a + byService[s], 0), byRoute, elapsedMs, upstreamBytes, body };
}

export interface LoadResult {
  connections: number;
  durationS: number;
  responses: number;
  requestsPerSec: number;
  latencyMs: { min: number; p50: number; p99: number; mean: number } | null;
  /** Responses whose body carried `"errors"`, plus non-2xx, socket errors and timeouts. */
  errorResponses: number;
  timeouts: number;
  /** Gateway CPU (user + system) over the run, divided by the responses. */
  cpuMsPerRequest: number | null;
  peakRssBytes: number;
  /** Not run: a lower concurrency completed no query in the run's duration, so this one would not either. */
  skipped?: boolean;
}

/**
 * The upstream round trip as a client sees it: median of sequential `GET /zones` on the legacy controller (a
 * tiny body) with keep-alive. It is the configured latency plus HTTP and timer overhead on this machine, the
 * honest unit for the critical path.
 */
export async function upstreamRoundTrip(cloud: CloudInfo, samples = 40): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t = performance.now();
    await (await fetch(`${cloud.legacyUrl}/zones`, { headers: { 'x-api-key': cloud.legacyApiKey } })).arrayBuffer();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until the gateway is idle: no request in flight and under 5% of a core busy over 100 ms — so work left
 * over from a run (queries whose clients autocannon dropped at the end) never lands in the next one.
 */
export async function waitIdle(gateway: GatewayChild, maxMs = 60_000): Promise<Sample> {
  const until = Date.now() + maxMs;
  let last = await gateway.sample();
  for (;;) {
    await sleep(100);
    const now = await gateway.sample();
    if ((now.inFlight === 0 && now.cpuUs - last.cpuUs < 5_000) || Date.now() > until) return now;
    last = now;
  }
}

export async function loadRun(gateway: GatewayChild, r: GraphqlRequest, connections: number, durationS: number): Promise<LoadResult> {
  let bodyErrors = 0;
  let nextSession = 0;
  // The previous run (or the single counted query) has already left the gateway idle: see the end of this one.
  const before = await gateway.sample(true);
  const result = await autocannon({
    url: gateway.url,
    connections,
    duration: durationS,
    timeout: 30,
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-auth-token': r.token },
    body: JSON.stringify({ query: r.query, variables: r.variables }),
    // Connection i sends as session i (its own token), like distinct clients of the same user; without
    // sessions every connection shares one token.
    setupClient: (client: { setHeaders(h: Record<string, string>): void }) => {
      if (r.sessions?.length)
        client.setHeaders({ 'content-type': 'application/json', 'x-auth-token': r.sessions[nextSession++ % r.sessions.length] });
    },
    requests: [
      {
        // Only `errors` at the top level of a GraphQL response: no field of the schema is named "errors".
        onResponse: (status: number, body: string) => {
          if (status < 300 && body.includes('"errors":')) bodyErrors++;
        },
      },
    ],
  });
  // CPU from the start of the run until the gateway is idle again, over every request it received (those
  // abandoned at the end of the run included: their work is in the CPU time too).
  const end = await gateway.sample();
  const after = await waitIdle(gateway);
  const responses = result.requests.total;
  const received = after.requests - before.requests;
  const cpuMs = (after.cpuUs - before.cpuUs) / 1000;
  return {
    connections,
    durationS,
    responses,
    requestsPerSec: responses / (result.duration || durationS),
    latencyMs: responses > 0 ? { min: result.latency.min, p50: result.latency.p50, p99: result.latency.p99, mean: result.latency.mean } : null,
    errorResponses: bodyErrors + result.non2xx + result.errors,
    timeouts: result.timeouts,
    cpuMsPerRequest: received > 0 ? cpuMs / received : null,
    peakRssBytes: Math.max(end.peakRss, after.peakRss),
  };
}
