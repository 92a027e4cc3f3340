// W3C Trace Context headers (https://www.w3.org/TR/trace-context/#traceparent-header): read the caller's
// `traceparent`/`tracestate` so the operation's span continues the caller's trace, and write them on upstream
// calls so the upstream's spans join it. The OTel API's W3C propagator needs a globally registered propagator,
// which this gateway does not install (tracing.ts says why); the format is small enough to read here.
import { createTraceState, isSpanContextValid, type SpanContext } from '@opentelemetry/api';

/** version-traceid-parentid-flags; a later version may append fields after another `-`. */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** The caller's span context, or null when the header is missing or malformed (then a new trace starts). */
export function parseTraceparent(traceparent: unknown, tracestate: unknown): SpanContext | null {
  if (typeof traceparent !== 'string') return null;
  const m = TRACEPARENT.exec(traceparent.trim());
  // Version ff is invalid; version 00 has exactly four fields.
  if (!m || m[1] === 'ff' || (m[1] === '00' && m[5] !== undefined)) return null;
  const state = Array.isArray(tracestate) ? tracestate.join(',') : tracestate;
  const context: SpanContext = {
    traceId: m[2],
    spanId: m[3],
    traceFlags: parseInt(m[4], 16),
    isRemote: true,
    traceState: typeof state === 'string' && state !== '' ? createTraceState(state) : undefined,
  };
  return isSpanContextValid(context) ? context : null;
}

/** The `traceparent` value naming `context` as the parent. */
export const formatTraceparent = (context: SpanContext): string =>
  `00-${context.traceId}-${context.spanId}-${(context.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
