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
import { randomUUID } from 'node:crypto';
import { metrics, SpanStatusCode, trace, type Attributes } from '@opentelemetry/api';
import type { TokenCredential } from '@azure/core-auth';
import { ExportResultCode, hrTimeToMilliseconds, type ExportResult } from '@opentelemetry/core';
import {
  detectResources,
  envDetector,
  hostDetector,
  processDetector,
  resourceFromAttributes,
  type Resource,
} from '@opentelemetry/resources';
import {
  ConsoleMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type MetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';
import {
  BatchSpanProcessor,
  NodeTracerProvider,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type ReadableSpan,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import { InputError } from '../core/errors.js';

export type TelemetryMode = 'off' | 'console' | 'otlp' | 'azure-monitor';
const MODES: readonly string[] = ['off', 'console', 'otlp', 'azure-monitor', 'auto'];

export interface TelemetrySettings {
  readonly mode: TelemetryMode;
  readonly sampleRatio: number;
  readonly metricsIntervalMs: number;
  /** Only for azure-monitor. */
  readonly connectionString?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

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

/** The slice of @azure/monitor-opentelemetry that Tessera calls (injected in tests: the distro probes Azure's instance metadata address when it starts). */
export interface AzureMonitorDistro {
  useAzureMonitor(options: AzureMonitorOptions): void;
  shutdownAzureMonitor(): Promise<void>;
}

export interface AzureMonitorOptions {
  readonly azureMonitorExporterOptions: { readonly connectionString: string; readonly credential?: TokenCredential };
  readonly resource: Resource;
  readonly metricReaders: MetricReader[];
  readonly samplingRatio: number;
  readonly enableLiveMetrics: boolean;
  readonly instrumentationOptions: {
    readonly azureSdk: { readonly enabled: boolean };
    readonly http: { readonly enabled: boolean };
  };
}

export interface StartTelemetryOptions {
  /** service.name: tessera-cli, tessera-worker, tessera-scorer, tessera-functions, … */
  readonly service: string;
  readonly env?: Env;
  /** Resource attributes of this process (worker id, …). */
  readonly attributes?: Attributes;
  /** Entra ID for Application Insights ingestion. */
  readonly credential?: TokenCredential;
  /** Where console mode writes (stderr by default). */
  readonly write?: (line: string) => void;
  /** Replaces the exporters (tests: an in-memory exporter). */
  readonly spanExporter?: SpanExporter;
  /** Readers that pull (a Prometheus endpoint): given every metric, in any mode. */
  readonly metricReaders?: readonly MetricReader[];
  readonly loadAzureMonitor?: () => Promise<AzureMonitorDistro>;
}

export interface Telemetry {
  readonly mode: TelemetryMode;
  /** Exports what is buffered. */
  flush(): Promise<void>;
  /** Flushes and stops; idempotent. Call before the process exits. */
  shutdown(): Promise<void>;
}

const OFF: Telemetry = { mode: 'off', flush: () => Promise.resolve(), shutdown: () => Promise.resolve() };

export async function startTelemetry(options: StartTelemetryOptions): Promise<Telemetry> {
  const env = options.env ?? process.env;
  const settings = telemetrySettingsOf(env);
  const pullReaders = [...(options.metricReaders ?? [])];
  if (settings.mode === 'off' && !options.spanExporter && pullReaders.length === 0) return OFF;
  const resource = detectResources({ detectors: [envDetector, hostDetector, processDetector] }).merge(
    resourceFromAttributes({
      'service.name': options.service,
      'service.namespace': 'tessera',
      'service.instance.id': randomUUID(),
      ...options.attributes,
    }),
  );
  if (settings.mode === 'off' && !options.spanExporter) return metricsOnly(resource, pullReaders);
  if (settings.mode === 'azure-monitor' && !options.spanExporter) {
    const distro = await (options.loadAzureMonitor ?? (() => import('@azure/monitor-opentelemetry')))();
    distro.useAzureMonitor({
      azureMonitorExporterOptions: {
        connectionString: settings.connectionString ?? '',
        ...(options.credential ? { credential: options.credential } : {}),
      },
      resource,
      metricReaders: pullReaders,
      samplingRatio: settings.sampleRatio,
      enableLiveMetrics: true,
      // The Azure SDK's own spans (Service Bus, Blob, Event Hubs calls) nest under Tessera's; the
      // HTTP instrumentation would duplicate them at the socket level.
      instrumentationOptions: { azureSdk: { enabled: true }, http: { enabled: false } },
    });
    let stopped: Promise<void> | undefined;
    return {
      mode: 'azure-monitor',
      flush: () => Promise.resolve(),
      shutdown: () => (stopped ??= distro.shutdownAzureMonitor()),
    };
  }
  const write =
    options.write ??
    ((line: string) => {
      process.stderr.write(`${line}\n`);
    });
  // The OTLP exporters (and the protobuf code under them) load only where they are used: every
  // process of the local runtime started them at each launch, used or not.
  const otlp =
    settings.mode === 'otlp'
      ? await Promise.all([
          import('@opentelemetry/exporter-trace-otlp-http'),
          import('@opentelemetry/exporter-metrics-otlp-http'),
        ])
      : undefined;
  const spanExporter =
    options.spanExporter ??
    (otlp
      ? new otlp[0].OTLPTraceExporter({ url: otlpUrl(env, 'TRACES', 'v1/traces') })
      : new JsonLinesSpanExporter(write));
  const processors: SpanProcessor[] = [new BatchSpanProcessor(spanExporter, { scheduledDelayMillis: 1000 })];
  const tracerProvider = new NodeTracerProvider({
    resource,
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(settings.sampleRatio) }),
    spanProcessors: processors,
  });
  tracerProvider.register();
  const readers = [...pullReaders];
  if (!options.spanExporter) {
    const metricExporter: PushMetricExporter = otlp
      ? new otlp[1].OTLPMetricExporter({ url: otlpUrl(env, 'METRICS', 'v1/metrics') })
      : new ConsoleMetricExporter();
    readers.push(
      new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: settings.metricsIntervalMs }),
    );
  }
  const meterProvider = readers.length > 0 ? startMeterProvider(resource, readers) : undefined;
  let stopped: Promise<void> | undefined;
  return {
    mode: settings.mode,
    async flush() {
      await tracerProvider.forceFlush();
      await meterProvider?.forceFlush();
    },
    shutdown: () =>
      (stopped ??= (async () => {
        // A collector that is down must not keep a process from exiting: each side is bounded by its exporter's timeout.
        await Promise.allSettled([tracerProvider.shutdown(), meterProvider?.shutdown()]);
        trace.disable();
        metrics.disable();
      })()),
  };
}

function startMeterProvider(resource: Resource, readers: MetricReader[]): MeterProvider {
  const provider = new MeterProvider({ resource, readers });
  metrics.setGlobalMeterProvider(provider);
  return provider;
}

/** Mode off with pull readers: metrics for them, no traces. */
function metricsOnly(resource: Resource, readers: MetricReader[]): Telemetry {
  const provider = startMeterProvider(resource, readers);
  let stopped: Promise<void> | undefined;
  return {
    mode: 'off',
    flush: () => provider.forceFlush(),
    shutdown: () =>
      (stopped ??= provider.shutdown().finally(() => {
        metrics.disable();
      })),
  };
}

/**
 * The OTLP/HTTP URL of one signal from `env` (the exporters would read process.env themselves; the
 * root's env may be another): the signal's own endpoint as given, else the base endpoint plus the
 * signal's path, as the OpenTelemetry specification says. Undefined leaves it to the exporter's default.
 */
function otlpUrl(env: Env, signal: 'TRACES' | 'METRICS', path: string): string | undefined {
  const own = env[`OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`]?.trim();
  if (own) return own;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  return base ? `${base.replace(/\/+$/, '')}/${path}` : undefined;
}

/** Console mode: one JSON object per span, one per line (grep-able, unlike the SDK's console.dir output). */
export class JsonLinesSpanExporter implements SpanExporter {
  constructor(private readonly write: (line: string) => void) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    for (const span of spans) {
      const context = span.spanContext();
      this.write(
        JSON.stringify({
          span: span.name,
          traceId: context.traceId,
          spanId: context.spanId,
          parentSpanId: span.parentSpanContext?.spanId,
          kind: span.kind,
          service: span.resource.attributes['service.name'],
          start: new Date(hrTimeToMilliseconds(span.startTime)).toISOString(),
          durationMs: Math.round(hrTimeToMilliseconds(span.duration) * 1000) / 1000,
          status: span.status.code === SpanStatusCode.ERROR ? 'error' : 'ok',
          ...(span.status.message ? { error: span.status.message } : {}),
          attributes: span.attributes,
        }),
      );
    }
    done({ code: ExportResultCode.SUCCESS });
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
