/**
 * Starts OpenTelemetry in a composition root (CLI, local runtime, worker and aggregator processes,
 * scorer image, Functions app). Everything else only uses the API (tracing.ts, metrics.ts).
 *
 * The exporter is a setting, TESSERA_TELEMETRY:
 * - `azure-monitor`: the Azure Monitor distro (@azure/monitor-opentelemetry), to the Application
 *   Insights resource named by APPLICATIONINSIGHTS_CONNECTION_STRING; with a TokenCredential
 *   (Entra ID ingestion, local auth off) where the root has one. Production's choice.
 * - `otlp`: OTLP over HTTP/JSON to an OpenTelemetry collector (Jaeger, Tempo, Aspire, …); the
 *   exporters read the standard OTEL_EXPORTER_OTLP_* settings (endpoint, headers, timeout).
 * - `console`: one JSON line per finished span on stderr, and metrics every
 *   TESSERA_TELEMETRY_METRICS_MS (default 60 s) on stderr, for local debugging.
 * - `off`: nothing is recorded (the API's no-ops).
 * - unset or `auto`: azure-monitor when APPLICATIONINSIGHTS_CONNECTION_STRING is set, else otlp when
 *   OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set, else off.
 * OTEL_SDK_DISABLED=true turns it off whatever else is set (the OpenTelemetry convention).
 *
 * A root may add metric readers that pull (the scorer's Prometheus endpoint, `metricReaders`): they
 * see the same instruments under the same names as the exporter, whatever the mode, `off` included.
 *
 * Traces are sampled parent-based (a consumer follows its producer's decision, so a trace is never
 * cut in half), with TESSERA_TRACE_SAMPLE_RATIO (0..1, default 1) for new traces. Resource:
 * service.name (the root's), service.instance.id, host and process, plus OTEL_RESOURCE_ATTRIBUTES.
 */
import { InputError } from '../core/errors.js';
import type { Env, StartTelemetryOptions, Telemetry, TelemetryMode, TelemetrySettings } from './telemetryTypes.js';

export type {
  AzureMonitorDistro,
  AzureMonitorOptions,
  StartTelemetryOptions,
  Telemetry,
  TelemetryMode,
  TelemetrySettings,
} from './telemetryTypes.js';

const MODES: readonly string[] = ['off', 'console', 'otlp', 'azure-monitor', 'auto'];

/** The telemetry settings `env` asks for; throws InputError naming the setting when one is malformed. */
export function telemetrySettingsOf(env: Env): TelemetrySettings {
  const asked = (env.TESSERA_TELEMETRY ?? 'auto').trim().toLowerCase();
  if (!MODES.includes(asked))
    throw new InputError('TESSERA_TELEMETRY', `must be one of ${MODES.join(', ')}, got "${env.TESSERA_TELEMETRY}"`);
  const ratio = Number(env.TESSERA_TRACE_SAMPLE_RATIO ?? '1');
  if (!(ratio >= 0 && ratio <= 1))
    throw new InputError(
      'TESSERA_TRACE_SAMPLE_RATIO',
      `must be a number from 0 to 1, got "${env.TESSERA_TRACE_SAMPLE_RATIO}"`,
    );
  const interval = Number(env.TESSERA_TELEMETRY_METRICS_MS ?? '60000');
  if (!Number.isInteger(interval) || interval < 100)
    throw new InputError(
      'TESSERA_TELEMETRY_METRICS_MS',
      `must be an integer of at least 100 ms, got "${env.TESSERA_TELEMETRY_METRICS_MS}"`,
    );
  const connectionString = env.APPLICATIONINSIGHTS_CONNECTION_STRING?.trim() || undefined;
  const otlp = Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim());
  let mode: TelemetryMode;
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') mode = 'off';
  else if (asked === 'auto') mode = connectionString ? 'azure-monitor' : otlp ? 'otlp' : 'off';
  else mode = asked as TelemetryMode;
  if (mode === 'azure-monitor' && !connectionString) {
    throw new InputError(
      'APPLICATIONINSIGHTS_CONNECTION_STRING',
      "is required when TESSERA_TELEMETRY is azure-monitor (the Application Insights resource's connection string)",
    );
  }
  return {
    mode,
    sampleRatio: ratio,
    metricsIntervalMs: interval,
    ...(mode === 'azure-monitor' ? { connectionString } : {}),
  };
}

const OFF: Telemetry = { mode: 'off', flush: () => Promise.resolve(), shutdown: () => Promise.resolve() };

export async function startTelemetry(options: StartTelemetryOptions): Promise<Telemetry> {
  const env = options.env ?? process.env;
  const settings = telemetrySettingsOf(env);
  if (settings.mode === 'off' && !options.spanExporter && (options.metricReaders ?? []).length === 0) return OFF;
  // The SDK is loaded only when something is recorded: it is a third of a process's start otherwise.
  const { startPipeline } = await import('./otelPipeline.js');
  return startPipeline(settings, options, env);
}
