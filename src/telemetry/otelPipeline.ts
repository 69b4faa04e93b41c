/**
 * The OpenTelemetry SDK side of startTelemetry (setup.ts): loaded only when a process records
 * something (a mode other than off, a test's span exporter, or pull readers), so a process with
 * telemetry off never loads the SDK, its exporters or its resource detectors.
 */
import { randomUUID } from 'node:crypto';
import { metrics, SpanStatusCode, trace } from '@opentelemetry/api';
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
import type { Env, StartTelemetryOptions, Telemetry, TelemetrySettings } from './telemetryTypes.js';

/** startTelemetry's work once something is to be recorded: the resource, then the mode's providers and exporters. */
export async function startPipeline(
  settings: TelemetrySettings,
  options: StartTelemetryOptions,
  env: Env,
): Promise<Telemetry> {
  const pullReaders = [...(options.metricReaders ?? [])];
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
  // The OTLP exporters (and the OTLP transformer under them, 110-120 ms to load) only in OTLP mode.
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
