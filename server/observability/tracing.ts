// OpenTelemetry traces (https://opentelemetry.io/docs/languages/js/): a server span per GraphQL request (continuing
// the caller's W3C `traceparent`), and under it an internal span per loader batch and a client span per upstream
// call, whose `traceparent` goes out with the call so the upstream's own spans join the trace. Spans are batched
// and exported over OTLP/HTTP (JSON) by the exporter, which reads the standard OTEL_EXPORTER_OTLP_* variables
// itself (https://opentelemetry.io/docs/specs/otel/protocol/exporter/); OTEL_TRACES_SAMPLER picks the sampler,
// OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES name the service (default `mosaic`).
//
// The provider is this gateway's own and is not registered as the process's global one: nothing else in the
// process is instrumented with the OTel API, a global registration cannot be undone per gateway (tests build
// several), and the request's span reaches the channel subscribers through the request handle on each message
// (request-scope.ts) rather than through the OTel context manager, whose AsyncLocalStorage would slow every
// promise in the process. When tracing is off none of this module's code runs: nothing is installed and no
// channel is subscribed.
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { BatchSpanProcessor, ConsoleSpanExporter, NodeTracerProvider, type SpanExporter } from '@opentelemetry/sdk-trace-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { channels, type BatchMessage, type UpstreamCallMessage } from '../../core/diagnostics.ts';
import { exportersNamed } from './tracing-setting.ts';
import { ChannelSubscriptions } from './channel-subscriptions.ts';
import type { RequestScopes } from './request-scope.ts';
import { formatTraceparent, parseTraceparent } from './trace-context.ts';
import { errorCodeOf } from './error-code.ts';
import type { OperationInfo } from './operation.ts';
import type { Outcome } from './outcome.ts';

// tracingEnabled lives in tracing-setting.ts, so that deciding loads none of the OpenTelemetry packages.
export { tracingEnabled } from './tracing-setting.ts';

export interface OperationSpan {
  span: Span;
  /** The context whose active span is `span`: the parent of the request's batch and upstream spans. */
  context: Context;
}

export class GatewayTracing {
  private readonly provider: NodeTracerProvider;
  private readonly tracer: Tracer;
  private readonly subscriptions = new ChannelSubscriptions();
  /** Spans between a channel's start and end messages: the publisher sends the same message object to both. */
  private readonly open = new WeakMap<object, Span>();

  /**
   * `scopes`: this gateway's requests, by the handle messages carry; `url`: the OTLP/HTTP traces URL, instead of
   * what OTEL_EXPORTER_OTLP_* say (tests point it at a receiver).
   */
  constructor(scopes: RequestScopes, url?: string) {
    const exporters: SpanExporter[] = url
      ? [new OTLPTraceExporter({ url })]
      : exportersNamed(process.env).flatMap((name): SpanExporter[] =>
          name === 'otlp' ? [new OTLPTraceExporter()] : name === 'console' ? [new ConsoleSpanExporter()] : [],
        );
    this.provider = new NodeTracerProvider({
      resource: defaultResource()
        .merge(resourceFromAttributes({ 'service.name': 'mosaic' }))
        .merge(detectResources({ detectors: [envDetector] })),
      spanProcessors: exporters.map((e) => new BatchSpanProcessor(e)),
    });
    this.tracer = this.provider.getTracer('mosaic');

    // Batches and calls of no request of this gateway (background polls, another gateway's requests) get no span.
    const parent = (request: object | undefined): Context | null => (request ? (scopes.get(request)?.spanContext ?? null) : null);
    this.subscriptions
      .on<BatchMessage>(channels.batchStart, (m) => {
        const context = parent(m.request);
        if (!context) return;
        const attributes = { 'mosaic.loader': m.loader, 'mosaic.batch.keys': m.keys };
        this.open.set(m, this.tracer.startSpan(`batch ${m.loader}`, { kind: SpanKind.INTERNAL, attributes }, context));
      })
      .on<BatchMessage>(channels.batchEnd, (m) => {
        const span = this.open.get(m);
        if (!span) return;
        this.open.delete(m);
        if (m.error) span.setStatus({ code: SpanStatusCode.ERROR, message: errorCodeOf(m.error) });
        span.end();
      })
      .on<UpstreamCallMessage>(channels.upstreamStart, (m) => {
        const context = parent(m.request);
        if (!context) return;
        const attributes = { 'peer.service': m.service, 'http.request.method': m.method, 'url.template': m.route, 'url.full': m.url };
        const span = this.tracer.startSpan(`${m.method} ${m.route}`, { kind: SpanKind.CLIENT, attributes }, context);
        this.open.set(m, span);
        // The upstream continues the trace under this call's span (also when it is not sampled: flags say so).
        const spanContext = span.spanContext();
        m.headers.traceparent = formatTraceparent(spanContext);
        const state = spanContext.traceState?.serialize();
        if (state) m.headers.tracestate = state;
      })
      .on<UpstreamCallMessage>(channels.upstreamEnd, (m) => {
        const span = this.open.get(m);
        if (!span) return;
        this.open.delete(m);
        if (m.status !== undefined) span.setAttribute('http.response.status_code', m.status);
        if (m.error) {
          const code = errorCodeOf(m.error);
          span.setAttribute('error.type', code);
          span.setStatus({ code: SpanStatusCode.ERROR, message: code });
        }
        span.end();
      });
  }

  /** Starts the request's span, continuing the caller's trace when it sent a valid `traceparent`. */
  startOperation(method: string, path: string, headers: Record<string, string | string[] | undefined>, requestId: string): OperationSpan {
    const caller = parseTraceparent(headers.traceparent, headers.tracestate);
    const attributes = { 'http.request.method': method, 'url.path': path, 'http.route': path, 'mosaic.request_id': requestId };
    const span = this.tracer.startSpan(
      `${method} ${path}`,
      { kind: SpanKind.SERVER, attributes },
      caller ? trace.setSpanContext(ROOT_CONTEXT, caller) : ROOT_CONTEXT,
    );
    return { span, context: trace.setSpan(ROOT_CONTEXT, span) };
  }

  /** Names the span after the operation (GraphQL semantic conventions: `query Name`) and ends it. */
  endOperation(span: Span, operation: OperationInfo, status: number, outcome: Outcome): void {
    if (operation.type) span.updateName(operation.name ? `${operation.type} ${operation.name}` : operation.type);
    if (operation.type) span.setAttribute('graphql.operation.type', operation.type);
    if (operation.name) span.setAttribute('graphql.operation.name', operation.name);
    span.setAttribute('http.response.status_code', status);
    span.setAttribute('mosaic.outcome', outcome);
    if (outcome === 'error') span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  }

  /** Stops listening and exports what is still buffered. */
  async shutdown(): Promise<void> {
    this.subscriptions.close();
    await this.provider.shutdown();
  }
}
