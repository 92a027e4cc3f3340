// Whether this gateway traces (observability.tracing and the OTEL_* variables), decided without loading any
// OpenTelemetry package: register.ts imports tracing.ts (the SDK, the OTLP exporter: ~10 MB of resting RSS) only
// when this says yes.
import type { MosaicConfig } from '../../core/config.ts';

type TracingSetting = MosaicConfig['observability']['tracing'];

/** Exporters OTEL_TRACES_EXPORTER names (comma-separated; `otlp` when unset). */
export const exportersNamed = (env: NodeJS.ProcessEnv): string[] =>
  (env.OTEL_TRACES_EXPORTER ?? 'otlp')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/**
 * observability.tracing: `on`, `off`, or `auto` — on when the environment configures an exporter the way the
 * OTel SDKs read it (an OTLP endpoint, or OTEL_TRACES_EXPORTER=otlp|console), and OTEL_SDK_DISABLED is not true.
 */
export function tracingEnabled(setting: TracingSetting, env: NodeJS.ProcessEnv = process.env): boolean {
  if (setting !== 'auto') return setting === 'on';
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  if (env.OTEL_TRACES_EXPORTER !== undefined) return exportersNamed(env).some((e) => e === 'otlp' || e === 'console');
  return !!(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}
