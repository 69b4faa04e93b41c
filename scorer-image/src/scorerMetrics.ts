/**
 * The scorer's metrics: one set of OpenTelemetry instruments (src/telemetry/metrics.ts) that the
 * exporter pushes (Azure Monitor in production) and that `/metrics` serves to Prometheus through
 * the OpenTelemetry Prometheus exporter, under the same names. What only the scorer knows is
 * observed here:
 * - `tessera.scorer.ready`, `tessera.scorer.draining`: 0 or 1;
 * - `tessera.scorer.messages.in_flight` {message}: shards in hand;
 * - `tessera.scorer.execution_provider`: 1 for the provider the startup self-test proved, by requested and provider;
 * - `process.memory.usage` By: the process's resident set size (the OpenTelemetry semantic convention).
 * Messages the pumps never see (received as receiving stopped, handed straight back) are counted in
 * `tessera.messages` with the outcome `dropped_at_stop`.
 */
import { metrics } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { messageKindOf } from '../../src/hosting/messagePump.js';
import { instruments, METER_NAME } from '../../src/telemetry/metrics.js';

export interface ScorerState {
  readonly ready: () => boolean;
  readonly draining: () => boolean;
  readonly inFlight: () => number;
  /** Undefined until the self-test has passed. */
  readonly executionProvider: () => { readonly requested: string; readonly provider: string } | undefined;
}

/** The reader behind `/metrics`: give it to startTelemetry's `metricReaders`; it serves nothing before that. */
export function createPrometheusReader(): PrometheusExporter {
  return new PrometheusExporter({ preventServerStart: true });
}

/** Registers the scorer's gauges on the meter provider telemetry started; call once, after startTelemetry. */
export function observeScorer(state: ScorerState): void {
  const meter = metrics.getMeter(METER_NAME);
  const flag = (on: boolean): number => (on ? 1 : 0);
  meter
    .createObservableGauge('tessera.scorer.ready', { description: '1 while /readyz answers 200' })
    .addCallback((result) => result.observe(flag(state.ready())));
  meter
    .createObservableGauge('tessera.scorer.draining', { description: '1 from SIGTERM until exit' })
    .addCallback((result) => result.observe(flag(state.draining())));
  meter
    .createObservableGauge('tessera.scorer.messages.in_flight', {
      description: 'Shard messages being handled now',
      unit: '{message}',
    })
    .addCallback((result) => result.observe(state.inFlight()));
  meter
    .createObservableGauge('tessera.scorer.execution_provider', {
      description: 'The execution provider the startup self-test proved (1 = in use)',
    })
    .addCallback((result) => {
      const proven = state.executionProvider();
      if (proven) result.observe(1, { requested: proven.requested, provider: proven.provider });
    });
  meter
    .createObservableGauge('process.memory.usage', { description: 'Resident set size', unit: 'By' })
    .addCallback((result) => result.observe(process.memoryUsage.rss()));
}

/** Counts a message the pumps never handled, so `tessera.messages` still accounts for every delivery. */
export function countDroppedAtStop(queue: string, body: unknown): void {
  instruments().messages.add(1, { queue, kind: messageKindOf(body), outcome: 'dropped_at_stop' });
}
