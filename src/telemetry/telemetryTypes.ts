/** The types of startTelemetry (setup.ts) and of its SDK side (otelPipeline.ts). */
import type { Attributes } from '@opentelemetry/api';
import type { TokenCredential } from '@azure/core-auth';
import type { Resource } from '@opentelemetry/resources';
import type { MetricReader } from '@opentelemetry/sdk-metrics';
import type { SpanExporter } from '@opentelemetry/sdk-trace-node';

export type TelemetryMode = 'off' | 'console' | 'otlp' | 'azure-monitor';

export interface TelemetrySettings {
  readonly mode: TelemetryMode;
  readonly sampleRatio: number;
  readonly metricsIntervalMs: number;
  /** Only for azure-monitor. */
  readonly connectionString?: string;
}

export type Env = Readonly<Record<string, string | undefined>>;

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
