// The gateway's upstream calls as its own HTTP client reports them (core/diagnostics.ts upstreamStart/End): when
// each left and its answer arrived, and for which request — to measure how many were in flight at once. Also a
// stand-in for in-flight sharing that shares nothing, as `npm run bench` runs by default (--no-share).
import { channels, type UpstreamCallMessage } from '../../core/diagnostics.ts';
import { InflightGets } from '../../datasources/http/coalesce.ts';

export interface RecordedCall {
  route: string;
  service: string;
  /** The request the call was made for (absent for calls on no request's behalf). */
  request?: object;
  start: number;
  end: number;
}

/** Every upstream call's start and end (ms) while `fn` runs. */
export async function recordCalls<T>(fn: () => Promise<T>): Promise<{ result: T; calls: RecordedCall[] }> {
  const calls: RecordedCall[] = [];
  const open = new Map<UpstreamCallMessage, number>();
  const onStart = (m: unknown) => void open.set(m as UpstreamCallMessage, performance.now());
  const onEnd = (m: unknown) => {
    const call = m as UpstreamCallMessage;
    const end = performance.now();
    calls.push({ route: call.route, service: call.service, request: call.request, start: open.get(call) ?? end, end });
    open.delete(call);
  };
  channels.upstreamStart.subscribe(onStart);
  channels.upstreamEnd.subscribe(onEnd);
  try {
    return { result: await fn(), calls };
  } finally {
    channels.upstreamStart.unsubscribe(onStart);
    channels.upstreamEnd.unsubscribe(onEnd);
  }
}

/** Per request, the span from its first call's start to its last call's end. */
export function windowsByRequest(calls: RecordedCall[]): { start: number; end: number }[] {
  const byRequest = new Map<object, { start: number; end: number }>();
  for (const c of calls) {
    if (!c.request) continue;
    const w = byRequest.get(c.request);
    if (w) {
      w.start = Math.min(w.start, c.start);
      w.end = Math.max(w.end, c.end);
    } else byRequest.set(c.request, { start: c.start, end: c.end });
  }
  return [...byRequest.values()];
}

/** The most intervals open at one moment. */
export function maxOverlap(intervals: { start: number; end: number }[]): number {
  const edges = intervals.flatMap((w) => [
    { t: w.start, d: 1 },
    { t: w.end, d: -1 },
  ]);
  edges.sort((a, b) => a.t - b.t || a.d - b.d);
  let now = 0;
  let max = 0;
  for (const e of edges) max = Math.max(max, (now += e.d));
  return max;
}

/** In-flight sharing off: every GET is its own call. */
export class NoSharing<V> extends InflightGets<V> {
  override share(_key: string, fetch: () => Promise<V>): Promise<V> {
    return fetch();
  }
  override has(): boolean {
    return false;
  }
}
