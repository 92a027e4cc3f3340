// The HTTP server every emulated upstream runs on: a small router on node:http (fast enough that the
// emulators are never the bottleneck of a benchmark), request statistics, and fault injection. Each service
// module only declares routes and its own error shape.
//
// Control endpoints, never counted and never faulted:
//   GET  /_emulator/stats   request counts by "METHOD /route/pattern" and the URLs requested, since the last reset
//   POST /_emulator/reset   zero the counters (faults stay: a benchmark sets latency once, then resets per run)
//   PUT  /_emulator/faults  {latencyMs, jitterMs, errorRate, down, malformedRate, slowMs, failUrlsContaining, failStatus,
//                            dropAnswerUrlsContaining, answerDelayMs}
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Faults {
  /** Added to every response. */
  latencyMs: number;
  /** Uniform extra latency in [0, jitterMs). */
  jitterMs: number;
  /** Share of requests answered with the service's own 500 error. */
  errorRate: number;
  /** When true, every connection is reset without a response, as when the service is down. */
  down: boolean;
  /** Share of requests answered 200 with a truncated, unparseable JSON body. */
  malformedRate: number;
  /** Extra delay on every request, to push it past a client's timeout. */
  slowMs: number;
  /** Requests whose URL contains this text are answered with the service's own 500 ('' = none): one key's failure. */
  failUrlsContaining: string;
  /** The status those requests get instead of 500 (404: a list endpoint that is not there). */
  failStatus: number;
  /** Requests whose URL contains this text are carried out, then their connection is reset without an answer ('' = none): a write committed whose answer was lost. */
  dropAnswerUrlsContaining: string;
  /** Delay between carrying out a request and answering it: the work is done (and notified) before the client hears. */
  answerDelayMs: number;
}

export const NO_FAULTS: Faults = {
  latencyMs: 0,
  jitterMs: 0,
  errorRate: 0,
  down: false,
  malformedRate: 0,
  slowMs: 0,
  failUrlsContaining: '',
  failStatus: 500,
  dropAnswerUrlsContaining: '',
  answerDelayMs: 0,
};

export interface EmulatorRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  params: Record<string, string>;
  /** Parsed JSON body for POST/PUT, or undefined. */
  body: unknown;
  /** The URL as requested (path and query). */
  url: string;
  /** Scheme and authority this server was reached at, for building links. */
  origin: string;
}

export interface EmulatorReply {
  status: number;
  /** Objects are sent as JSON; strings and Buffers as they are. */
  body?: unknown;
  headers?: Record<string, string>;
}

export type Handler = (req: EmulatorRequest) => EmulatorReply | Promise<EmulatorReply>;

export interface Route {
  method: string;
  pattern: string;
  handler: Handler;
}

export interface EmulatorOptions {
  /** Service name, used in logs and the Server header. */
  name: string;
  routes: Route[];
  /** Builds the body of an injected 500 in the service's own error shape. */
  errorReply: (status: number, message: string) => EmulatorReply;
  /** Answer for a path no route matches. */
  notFoundReply?: (req: EmulatorRequest) => EmulatorReply;
  faults?: Partial<Faults>;
}

export interface EmulatorStats {
  total: number;
  byRoute: Record<string, number>;
  /** "METHOD /path?query" of every request, in arrival order (capped at 50 000). */
  requests: string[];
}

export interface Emulator {
  name: string;
  server: http.Server;
  /** http://127.0.0.1:PORT once listening. */
  url: string;
  listen(port: number, host?: string): Promise<string>;
  close(): Promise<void>;
  stats(): EmulatorStats;
  reset(): void;
  setFaults(faults: Partial<Faults>): Faults;
}

interface CompiledRoute extends Route {
  regex: RegExp;
  keys: string[];
  key: string;
}

const MAX_RECORDED = 50_000;

function compile(route: Route): CompiledRoute {
  const keys: string[] = [];
  const source = route.pattern
    .split('/')
    .map((seg) => (seg.startsWith(':') ? (keys.push(seg.slice(1)), '([^/]+)') : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return { ...route, regex: new RegExp(`^${source}/?$`), keys, key: `${route.method} ${route.pattern}` };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createEmulator(options: EmulatorOptions): Emulator {
  const routes = options.routes.map(compile);
  let faults: Faults = { ...NO_FAULTS, ...options.faults };
  let stats: EmulatorStats = { total: 0, byRoute: {}, requests: [] };
  let url = '';

  const send = (res: http.ServerResponse, reply: EmulatorReply) => {
    const headers: Record<string, string> = { ...reply.headers };
    let payload: string | Buffer | undefined;
    if (reply.body === undefined || reply.body === null) payload = undefined;
    else if (typeof reply.body === 'string' || Buffer.isBuffer(reply.body)) payload = reply.body;
    else {
      payload = JSON.stringify(reply.body);
      headers['content-type'] ??= 'application/json';
    }
    if (payload !== undefined) headers['content-length'] = String(Buffer.byteLength(payload));
    else headers['content-length'] = '0';
    res.writeHead(reply.status, headers);
    res.end(payload);
  };

  const control = (req: http.IncomingMessage, res: http.ServerResponse, path: string, body: unknown): boolean => {
    if (!path.startsWith('/_emulator/')) return false;
    if (req.method === 'GET' && path === '/_emulator/stats') send(res, { status: 200, body: stats });
    else if (req.method === 'POST' && path === '/_emulator/reset') {
      emulator.reset();
      send(res, { status: 204 });
    } else if (req.method === 'PUT' && path === '/_emulator/faults') {
      send(res, { status: 200, body: emulator.setFaults((body ?? {}) as Partial<Faults>) });
    } else send(res, { status: 404, body: { error: 'unknown control endpoint' } });
    return true;
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse, rawBody: string) => {
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const path = q === -1 ? rawUrl : rawUrl.slice(0, q);
    let body: unknown;
    if (rawBody) {
      try {
        body = JSON.parse(rawBody);
      } catch {
        body = undefined;
        if (!path.startsWith('/_emulator/')) return send(res, options.errorReply(400, 'Malformed request body'));
      }
    }
    if (control(req, res, path, body)) return;

    const method = req.method ?? 'GET';
    let matched: CompiledRoute | undefined;
    let match: RegExpExecArray | null = null;
    for (const route of routes) {
      if (route.method !== method) continue;
      match = route.regex.exec(path);
      if (match) {
        matched = route;
        break;
      }
    }
    stats.total++;
    const key = matched ? matched.key : `${method} (unmatched)`;
    stats.byRoute[key] = (stats.byRoute[key] ?? 0) + 1;
    if (stats.requests.length < MAX_RECORDED) stats.requests.push(`${method} ${rawUrl}`);

    const f = faults;
    if (f.down) {
      req.socket.destroy();
      return;
    }
    const delay = f.latencyMs + (f.jitterMs > 0 ? Math.random() * f.jitterMs : 0) + f.slowMs;
    if (delay > 0) await sleep(delay);
    if (f.errorRate > 0 && Math.random() < f.errorRate) return send(res, options.errorReply(500, 'Injected internal error'));
    if (f.failUrlsContaining && rawUrl.includes(f.failUrlsContaining)) {
      return send(res, options.errorReply(f.failStatus, f.failStatus === 404 ? 'The resource could not be found.' : 'Injected internal error'));
    }

    const request: EmulatorRequest = {
      method,
      path,
      url: rawUrl,
      headers: req.headers,
      body,
      query: new URLSearchParams(q === -1 ? '' : rawUrl.slice(q + 1)),
      params: {},
      origin: `http://${req.headers.host ?? '127.0.0.1'}`,
    };
    let reply: EmulatorReply;
    if (!matched || !match) {
      reply = options.notFoundReply ? options.notFoundReply(request) : options.errorReply(404, 'The resource could not be found.');
    } else {
      matched.keys.forEach((k, i) => (request.params[k] = decodeURIComponent(match![i + 1])));
      try {
        reply = await matched.handler(request);
      } catch (err) {
        console.error(`[${options.name}] handler error`, err);
        reply = options.errorReply(500, 'Internal error');
      }
    }
    if (f.answerDelayMs > 0) await sleep(f.answerDelayMs);
    if (f.dropAnswerUrlsContaining && rawUrl.includes(f.dropAnswerUrlsContaining)) {
      req.socket.destroy();
      return;
    }
    if (f.malformedRate > 0 && Math.random() < f.malformedRate) {
      // Pre-serialised string/Buffer bodies are truncated as sent, not JSON-encoded a second time.
      const b = reply.body;
      const text = b === undefined || b === null ? '{"' : typeof b === 'string' ? b : Buffer.isBuffer(b) ? b.toString('utf8') : JSON.stringify(b);
      return send(res, {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: text.slice(0, Math.max(2, Math.floor(text.length / 2))),
      });
    }
    send(res, reply);
  };

  const server = http.createServer((req, res) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'DELETE') {
      // No body to wait for on the hot path.
      req.resume();
      void handle(req, res, '');
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => void handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  server.keepAliveTimeout = 65_000;

  const emulator: Emulator = {
    name: options.name,
    server,
    get url() {
      return url;
    },
    listen(port, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          url = `http://${host}:${(server.address() as AddressInfo).port}`;
          resolve(url);
        });
      });
    },
    close() {
      return new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
    stats: () => stats,
    reset() {
      stats = { total: 0, byRoute: {}, requests: [] };
    },
    setFaults(next) {
      const merged = { ...faults };
      for (const [k, v] of Object.entries(next)) {
        if (k in NO_FAULTS && typeof v === typeof (NO_FAULTS as unknown as Record<string, unknown>)[k])
          (merged as unknown as Record<string, unknown>)[k] = v;
      }
      faults = merged;
      return faults;
    },
  };
  return emulator;
}
