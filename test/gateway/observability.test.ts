// Logs, metrics and traces of a real gateway against the test cloud (server/observability/): every log line of a
// request carries its id, the caller's x-request-id is honoured and echoed, tokens never reach the log; /metrics
// counts requests by operation and outcome and upstream calls exactly as the emulators counted them; traces
// continue the caller's trace, put batch and upstream spans under the operation's span, and send `traceparent`
// upstream — received by a small OTLP/HTTP collector started here.
import http from 'node:http';
import { gunzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import diagnostics from 'node:diagnostics_channel';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken, startTestCloud, statsOf, type DemoCloud, type ServiceName } from '../helpers/cloud.ts';
import { RUNTIMES, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { SERVICE_NAMES } from '../../subgraphs/demo-cloud.ts';
import { channels } from '../../core/diagnostics.ts';
import { MosaicError } from '../../core/errors.ts';
import { GatewayMetrics } from '../../server/observability/metrics.ts';
import { tracingEnabled } from '../../server/observability/tracing.ts';
import { operationOf } from '../../server/observability/operation.ts';
import { errorsIn, outcomeOf } from '../../server/observability/outcome.ts';
import { formatTraceparent, parseTraceparent } from '../../server/observability/trace-context.ts';

const FLEET = 'query ObsFleet { zones { name hosts { hostname instances { name flavor { vcpus } image { name } disks { sizeGb } } } } }';
/** Served by Nova alone, and by the region controller alone: two requests whose upstream calls cannot be confused. */
const NOVA_ONLY = 'query ObsFlavors { flavors { name } }';
const LEGACY_ONLY = 'query ObsZones { zones { name } }';
/** No revocation polling: the only upstream calls are the ones the test's requests cause. */
const QUIET_KEYSTONE = { keystone: { revocationPollMs: 0 } };

let cloud: DemoCloud;
let admin: string;
beforeAll(async () => {
  cloud = await startTestCloud();
  admin = (await issueToken(cloud, 'admin')).token;
});
afterAll(() => cloud?.close());

const post = (url: string, query: string, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-auth-token': admin, ...headers }, body: JSON.stringify({ query }) });

/** A pino destination that keeps every line, parsed. */
function logCapture() {
  const lines: Record<string, any>[] = [];
  const raw: string[] = [];
  return {
    lines,
    raw,
    stream: {
      write(line: string) {
        raw.push(line);
        lines.push(JSON.parse(line));
      },
    },
  };
}

describe.each(RUNTIMES)('logs on %s', (runtime) => {
  let gw: TestGateway;
  const log = logCapture();
  beforeAll(async () => {
    gw = await startTestGateway(cloud, runtime, { ...QUIET_KEYSTONE, observability: { logLevel: 'debug' } }, null, { logStream: log.stream });
  });
  afterAll(() => gw?.close());

  it('writes the caller’s x-request-id on the request-completed line and on every upstream call of the request, and echoes it', async () => {
    const res = await post(gw.url, NOVA_ONLY, { 'x-request-id': `obs-${runtime}-1` });
    expect(res.status).toBe(200);
    expect((await res.json()).errors).toBeUndefined();
    expect(res.headers.get('x-request-id')).toBe(`obs-${runtime}-1`);
    const mine = log.lines.filter((l) => l.reqId === `obs-${runtime}-1`);
    expect(mine.map((l) => l.msg)).toContain('request completed');
    const upstream = mine.filter((l) => l.msg === 'upstream call');
    expect(upstream.length).toBeGreaterThan(0);
    expect(upstream.find((l) => l.service === 'nova')).toMatchObject({ level: 20, method: 'GET', status: 200 });
    for (const l of upstream) {
      expect(typeof l.route).toBe('string');
      expect(typeof l.durationMs).toBe('number');
    }
  });

  it('gives a request with a malformed x-request-id a fresh UUID, the same in the header and the log', async () => {
    const res = await post(gw.url, NOVA_ONLY, { 'x-request-id': 'not a valid id' });
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(log.lines.filter((l) => l.reqId === id).map((l) => l.msg)).toEqual(expect.arrayContaining(['incoming request', 'request completed']));
  });

  it('keeps the ids of concurrent requests apart on their upstream lines', async () => {
    await post(gw.url, NOVA_ONLY); // the token is validated (and cached) before the two race
    // Two, not more: a third would share the first one's identical GET in flight (http/coalesce.ts) and call nothing.
    const ids = [`obs-${runtime}-c0`, `obs-${runtime}-c1`];
    await Promise.all(ids.map((id, i) => post(gw.url, i % 2 ? LEGACY_ONLY : NOVA_ONLY, { 'x-request-id': id })));
    ids.forEach((id, i) => {
      const services = new Set(log.lines.filter((l) => l.reqId === id && l.msg === 'upstream call').map((l) => l.service));
      expect([...services], id).toEqual([i % 2 ? 'legacy' : 'nova']);
    });
  });

  it('keeps the request id on upstream lines when the body arrives well after the headers', async () => {
    const id = `obs-${runtime}-slow`;
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(gw.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-auth-token': admin, 'x-request-id': id },
      });
      req.on('response', (res) => res.resume().on('end', () => resolve(res.statusCode!)));
      req.on('error', reject);
      req.flushHeaders();
      setTimeout(() => req.end(JSON.stringify({ query: NOVA_ONLY })), 50);
    });
    expect(status).toBe(200);
    expect(log.lines.filter((l) => l.reqId === id && l.msg === 'upstream call').map((l) => l.service)).toContain('nova');
  });

  it('never writes a token: the credential headers of the request line are redacted', async () => {
    await post(gw.url, NOVA_ONLY, { 'x-request-id': `obs-${runtime}-t` });
    await fetch(gw.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}`, cookie: 'session=s3cr3t', 'x-request-id': `obs-${runtime}-b` },
      body: JSON.stringify({ query: NOVA_ONLY }),
    });
    const incoming = log.lines.find((l) => l.reqId === `obs-${runtime}-t` && l.msg === 'incoming request');
    expect(incoming?.req.headers['x-auth-token']).toBe('[redacted]');
    expect(incoming?.req.headers['content-type']).toBe('application/json');
    const bearer = log.lines.find((l) => l.reqId === `obs-${runtime}-b` && l.msg === 'incoming request');
    expect(bearer?.req.headers).toMatchObject({ authorization: '[redacted]', cookie: '[redacted]' });
    const all = log.raw.join('');
    expect(all).not.toContain(admin);
    expect(all).not.toContain('s3cr3t');
    expect(all).not.toContain(cloud.legacyApiKey);
  });
});

/** Sample values of one metric, by their label sets, from the Prometheus text format. */
function samples(text: string, name: string): { labels: Record<string, string>; value: number }[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .map((line) => {
      const m = /^[^{ ]+(?:\{(.*)\})? (\S+)$/.exec(line)!;
      const labels = Object.fromEntries([...(m[1] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
      return { labels, value: Number(m[2]) };
    });
}
const sumWhere = (text: string, name: string, where: Record<string, string>) =>
  samples(text, name)
    .filter((s) => Object.entries(where).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);

describe.each(RUNTIMES)('metrics on %s', (runtime) => {
  let gw: TestGateway;
  let metricsUrl: string;
  beforeAll(async () => {
    gw = await startTestGateway(cloud, runtime, QUIET_KEYSTONE);
    metricsUrl = gw.url.replace(/\/graphql$/, '/metrics');
  });
  afterAll(() => gw?.close());
  const scrape = async () => (await fetch(metricsUrl)).text();

  it('serves the Prometheus text format with the process’s own metrics', async () => {
    const res = await fetch(metricsUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    for (const name of ['process_cpu_user_seconds_total', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes', 'mosaic_breaker_state']) {
      expect(text).toContain(`# TYPE ${name} `);
    }
  });

  it('counts upstream calls by service exactly as the emulators counted them', async () => {
    await post(gw.url, NOVA_ONLY); // token validated and cached: both sides count from here
    const before = await scrape();
    cloud.resetStats();
    const res = await post(gw.url, FLEET);
    expect((await res.json()).errors).toBeUndefined();
    const after = await scrape();
    const emulated = await Promise.all(SERVICE_NAMES.map((s) => statsOf(cloud, s)));
    let calls = 0;
    SERVICE_NAMES.forEach((service, i) => {
      const counted =
        sumWhere(after, 'mosaic_upstream_requests_total', { service }) - sumWhere(before, 'mosaic_upstream_requests_total', { service });
      expect(counted, service).toBe(emulated[i].total);
      calls += counted;
    });
    expect(calls).toBeGreaterThanOrEqual(4);
    expect(sumWhere(after, 'mosaic_upstream_request_duration_seconds_count', { service: 'nova' })).toBeGreaterThan(0);
    expect(sumWhere(after, 'mosaic_upstream_response_bytes_total', { service: 'nova' })).toBeGreaterThan(0);
    expect(sumWhere(after, 'mosaic_loader_batch_size_count', {})).toBeGreaterThan(sumWhere(before, 'mosaic_loader_batch_size_count', {}));
    expect(sumWhere(after, 'mosaic_cache_lookups_total', { cache: 'token', result: 'hit' })).toBeGreaterThan(0);
  });

  it('counts GraphQL requests by operation name and outcome: ok, error (a field failed), rejected (never executed)', async () => {
    const before = await scrape();
    await post(gw.url, 'query ObsOk { flavors { name } }');
    await post(gw.url, 'query ObsOk { flavors { name } }');
    const field = await (await post(gw.url, 'query ObsFieldError { node(id: "not-a-global-id") { id } }')).json();
    expect(field.errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
    expect('data' in field).toBe(true);
    await post(gw.url, 'query ObsInvalid { noSuchField }');
    await post(gw.url, '{ flavors { name } }');
    const after = await scrape();
    const delta = (operation: string, outcome: string) =>
      sumWhere(after, 'mosaic_graphql_requests_total', { operation, outcome }) -
      sumWhere(before, 'mosaic_graphql_requests_total', { operation, outcome });
    expect(delta('ObsOk', 'ok')).toBe(2);
    expect(delta('ObsFieldError', 'error')).toBe(1);
    expect(delta('ObsInvalid', 'rejected')).toBe(1);
    expect(delta('anonymous', 'ok')).toBe(1);
    expect(sumWhere(after, 'mosaic_graphql_request_duration_seconds_count', { operation: 'ObsOk' })).toBe(2);
  });
});

describe('metrics switched off', () => {
  it('serves no /metrics and subscribes to nothing', async () => {
    const gw = await startTestGateway(cloud, 'mercurius', { observability: { metrics: false, tracing: 'off' } });
    try {
      expect((await fetch(gw.url.replace(/\/graphql$/, '/metrics'))).status).toBe(404);
      expect(channels.upstreamEnd.hasSubscribers).toBe(false);
      expect(channels.cache.hasSubscribers).toBe(false);
    } finally {
      await gw.close();
    }
  });
});

describe('the metric subscribers', () => {
  it('count what the channels report, cap label values, and stop counting once closed', async () => {
    const metrics = new GatewayMetrics(['nova']);
    const upstream = (route: string, extra: object = {}) =>
      channels.upstreamEnd.publish({
        service: 'nova',
        method: 'GET',
        route,
        url: 'http://nova',
        headers: {},
        status: 200,
        durationMs: 3,
        bytes: 10,
        ...extra,
      });
    upstream('/v2.1/flavors/detail');
    upstream('/v2.1/servers/{id}', { status: undefined, bytes: undefined, error: new MosaicError('MOSAIC_ERR_UPSTREAM_TIMEOUT') });
    for (let i = 0; i < 250; i++) upstream(`/made-up/${i}x`);
    channels.batchStart.publish({ loader: 'nova.servers', keys: 7 });
    channels.cache.publish({ cache: 'memo', hit: true });
    channels.breaker.publish({ service: 'nova', state: 'open' });
    metrics.observeRequest('Named', 'ok', 0.01);
    metrics.observeRequest('not a name!', 'ok', 0.01);
    for (let i = 0; i < 120; i++) metrics.observeRequest(`Op${i}`, 'ok', 0.01);
    const text = await metrics.render();
    expect(sumWhere(text, 'mosaic_upstream_requests_total', { route: '/v2.1/flavors/detail', status: '200' })).toBe(1);
    expect(sumWhere(text, 'mosaic_upstream_requests_total', { route: '/v2.1/servers/{id}', status: 'none' })).toBe(1);
    expect(sumWhere(text, 'mosaic_upstream_requests_total', { route: 'other' })).toBe(52);
    expect(sumWhere(text, 'mosaic_upstream_errors_total', { service: 'nova', code: 'MOSAIC_ERR_UPSTREAM_TIMEOUT' })).toBe(1);
    expect(sumWhere(text, 'mosaic_upstream_response_bytes_total', { service: 'nova' })).toBe(2510);
    expect(sumWhere(text, 'mosaic_loader_batch_size_sum', { loader: 'nova.servers' })).toBe(7);
    expect(sumWhere(text, 'mosaic_cache_lookups_total', { cache: 'memo', result: 'hit' })).toBe(1);
    expect(sumWhere(text, 'mosaic_breaker_state', { service: 'nova' })).toBe(2);
    expect(sumWhere(text, 'mosaic_graphql_requests_total', { operation: 'Named' })).toBe(1);
    expect(sumWhere(text, 'mosaic_graphql_requests_total', { operation: 'other' })).toBe(1 + 21);
    expect(new Set(samples(text, 'mosaic_graphql_requests_total').map((s) => s.labels.operation)).size).toBe(101);
    metrics.close();
    upstream('/v2.1/flavors/detail');
    expect(sumWhere(await metrics.render(), 'mosaic_upstream_requests_total', { route: '/v2.1/flavors/detail' })).toBe(1);
  });

  it('read the operation name and the outcome from the request and the response alone', () => {
    expect(operationOf({ query: '# a comment\n query Fleet($a: Int) { zones { name } }' })).toEqual({ name: 'Fleet', type: 'query' });
    expect(operationOf({ query: 'mutation { login(username: "a", password: "b") { token } }' })).toEqual({ name: null, type: 'mutation' });
    expect(operationOf({ query: '{ viewer { userName } }' })).toEqual({ name: null, type: 'query' });
    expect(operationOf({ query: 'query A { a } query B { b }', operationName: 'B' })).toEqual({ name: 'B', type: null });
    expect(operationOf({ query: 'fragment F on Zone { name } query Q { zones { ...F } }' })).toEqual({ name: null, type: null });
    expect(operationOf(null)).toEqual({ name: null, type: null });
    expect(errorsIn({ data: { a: 1 } })).toBe('none');
    expect(errorsIn({ data: null, errors: [{ message: 'x' }] })).toBe('field');
    expect(errorsIn({ errors: [{ message: 'x' }] })).toBe('request');
    expect(errorsIn('{"errors":[{"message":"x"}],"data":{"a":null}}\n')).toBe('field');
    expect(errorsIn('{"errors":[{"message":"x"}]}\n')).toBe('request');
    expect(errorsIn('{"data":{"errors":[{"a":1}]}}\n')).toBe('none');
    expect(outcomeOf(200, 'none')).toBe('ok');
    expect(outcomeOf(200, 'field')).toBe('error');
    expect(outcomeOf(200, 'request')).toBe('rejected');
    expect(outcomeOf(429, 'request')).toBe('rejected');
    expect(outcomeOf(500, 'request')).toBe('error');
  });
});

describe('the trace context', () => {
  it('reads and writes W3C traceparent headers, refusing malformed ones', () => {
    const header = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const context = parseTraceparent(header, 'vendor=a,other=b');
    expect(context).toMatchObject({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1, isRemote: true });
    expect(context?.traceState?.get('vendor')).toBe('a');
    expect(formatTraceparent(context!)).toBe(header);
    for (const bad of [
      undefined,
      'garbage',
      'ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      '00-00000000000000000000000000000000-b7ad6b7169203331-01',
      '00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01',
      '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra',
      '00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01',
    ]) {
      expect(parseTraceparent(bad, undefined), String(bad)).toBeNull();
    }
  });

  it('is on under `auto` only when the environment configures an exporter', () => {
    expect(tracingEnabled('auto', {})).toBe(false);
    expect(tracingEnabled('auto', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(true);
    expect(tracingEnabled('auto', { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBe(true);
    expect(tracingEnabled('auto', { OTEL_TRACES_EXPORTER: 'console' })).toBe(true);
    expect(tracingEnabled('auto', { OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(false);
    expect(tracingEnabled('auto', { OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(false);
    expect(tracingEnabled('on', {})).toBe(true);
    expect(tracingEnabled('off', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(false);
  });
});

interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  service: string;
}
const SERVER = 2;
const CLIENT = 3;
const INTERNAL = 1;

/** An OTLP/HTTP trace receiver (JSON encoding, https://opentelemetry.io/docs/specs/otlp/#otlphttp) on a free port. */
async function startCollector() {
  const spans: ReceivedSpan[] = [];
  const contentTypes: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      contentTypes.push(String(req.headers['content-type']));
      const payload = JSON.parse(body.toString('utf8'));
      for (const rs of payload.resourceSpans ?? []) {
        const service = rs.resource?.attributes?.find((a: any) => a.key === 'service.name')?.value?.stringValue;
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            const attributes = Object.fromEntries((s.attributes ?? []).map((a: any) => [a.key, Object.values(a.value)[0]]));
            spans.push({
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId || undefined,
              name: s.name,
              kind: s.kind,
              attributes,
              service,
            });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    spans,
    contentTypes,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe.each(RUNTIMES)('traces on %s', (runtime) => {
  let collector: Awaited<ReturnType<typeof startCollector>>;
  /** `traceparent` headers the emulators received, by service. */
  const received: { service: string; traceparent: string | undefined }[] = [];
  const listeners = new Map<ServiceName, (req: http.IncomingMessage) => void>();
  beforeAll(async () => {
    collector = await startCollector();
    for (const service of SERVICE_NAMES) {
      const listener = (req: http.IncomingMessage) => void received.push({ service, traceparent: req.headers.traceparent as string | undefined });
      listeners.set(service, listener);
      cloud.emulators[service].server.on('request', listener);
    }
  });
  afterAll(async () => {
    for (const [service, listener] of listeners) cloud.emulators[service].server.off('request', listener);
    await collector?.close();
  });

  /** A gateway that traces to the collector; closing it exports every span. */
  const tracedGateway = () =>
    startTestGateway(cloud, runtime, { ...QUIET_KEYSTONE, observability: { tracing: 'on' } }, null, { tracesUrl: collector.url });

  it('continues the caller’s trace: operation span, batch and upstream spans under it, traceparent sent upstream', async () => {
    const gw = await tracedGateway();
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736'.slice(0, -2) + (runtime === 'apollo' ? 'aa' : 'bb');
    const callerSpan = '00f067aa0ba902b7';
    received.length = 0;
    try {
      const res = await post(gw.url, FLEET, { traceparent: `00-${traceId}-${callerSpan}-01` });
      expect((await res.json()).errors).toBeUndefined();
    } finally {
      await gw.close();
    }
    expect(collector.contentTypes.at(-1)).toBe('application/json');
    const trace = collector.spans.filter((s) => s.traceId === traceId);
    const operation = trace.find((s) => s.kind === SERVER)!;
    expect(operation).toMatchObject({ name: 'query ObsFleet', parentSpanId: callerSpan, service: 'mosaic' });
    expect(operation.attributes).toMatchObject({ 'graphql.operation.name': 'ObsFleet', 'http.response.status_code': 200, 'mosaic.outcome': 'ok' });
    const batches = trace.filter((s) => s.kind === INTERNAL);
    const calls = trace.filter((s) => s.kind === CLIENT);
    expect(batches.length).toBeGreaterThan(0);
    expect(calls.length).toBeGreaterThan(0);
    for (const s of [...batches, ...calls]) expect(s.parentSpanId, s.name).toBe(operation.spanId);
    expect(batches.every((s) => s.name.startsWith('batch '))).toBe(true);
    // Every upstream call of the query carried this trace, naming its own client span as the parent.
    const sent = received.filter((r) => r.traceparent !== undefined);
    expect(sent.length).toBe(calls.length);
    const callIds = new Set(calls.map((s) => s.spanId));
    for (const r of sent) {
      const parsed = parseTraceparent(r.traceparent, undefined)!;
      expect(parsed.traceId).toBe(traceId);
      expect(callIds.has(parsed.spanId)).toBe(true);
    }
    expect(new Set(sent.map((r) => r.service))).toEqual(new Set(calls.map((s) => s.attributes['peer.service'])));
  });

  it('gives concurrent requests their own traces', async () => {
    const gw = await tracedGateway();
    // Two, not more: identical GETs in flight are shared between requests (http/coalesce.ts).
    const ids = ['1', '2'].map((n) => `${runtime === 'apollo' ? 'a' : 'b'}${n}`.padEnd(32, '0'));
    try {
      await post(gw.url, NOVA_ONLY); // the token is validated (and cached) before the requests race
      await Promise.all(ids.map((id, i) => post(gw.url, i % 2 ? LEGACY_ONLY : NOVA_ONLY, { traceparent: `00-${id}-00f067aa0ba902b7-01` })));
    } finally {
      await gw.close();
    }
    ids.forEach((id, i) => {
      const calls = collector.spans.filter((s) => s.traceId === id && s.kind === CLIENT);
      expect(calls.map((s) => s.attributes['peer.service'])).toEqual([i % 2 ? 'legacy' : 'nova']);
    });
  });
});

describe('tracing switched off', () => {
  it('subscribes to nothing and sends no traceparent upstream', async () => {
    const gw = await startTestGateway(cloud, 'mercurius', { ...QUIET_KEYSTONE, observability: { tracing: 'off' } });
    const seen: (string | undefined)[] = [];
    const listener = (req: http.IncomingMessage) => void seen.push(req.headers.traceparent as string | undefined);
    cloud.emulators.nova.server.on('request', listener);
    try {
      expect(channels.upstreamStart.hasSubscribers).toBe(false);
      expect(channels.batchEnd.hasSubscribers).toBe(false);
      await post(gw.url, NOVA_ONLY, { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
    } finally {
      cloud.emulators.nova.server.off('request', listener);
      await gw.close();
    }
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((t) => t === undefined)).toBe(true);
  });

  it('leaves no subscriber behind once every gateway has closed', () => {
    for (const channel of Object.values(channels)) expect(diagnostics.hasSubscribers(channel.name), String(channel.name)).toBe(false);
  });
});
