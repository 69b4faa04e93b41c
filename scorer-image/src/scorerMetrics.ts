/**
 * The scorer's Prometheus metrics (prom-client), on a registry of its own so tests can make many.
 * Shard outcomes: completed, dead_lettered, retried (abandoned after a transient failure),
 * lock_lost, abandoned (at the drain deadline), dropped_at_stop (received as receiving stopped,
 * handed straight back).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type ShardOutcome = 'completed' | 'dead_lettered' | 'retried' | 'lock_lost' | 'abandoned' | 'dropped_at_stop';

export interface ScorerMetrics {
  readonly registry: Registry;
  readonly shards: Counter<'kind' | 'outcome'>;
  readonly shardSeconds: Histogram<'kind'>;
  readonly frames: Counter;
  readonly windows: Counter;
  readonly errors: Counter<'code'>;
  readonly lockRenewals: Counter<'result'>;
  readonly inFlight: Gauge;
  readonly executionProvider: Gauge<'requested' | 'provider'>;
  readonly ready: Gauge;
  readonly draining: Gauge;
}

export function createScorerMetrics(labels: Readonly<Record<string, string>> = {}): ScorerMetrics {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    shards: new Counter({
      name: 'tessera_scorer_shards_total',
      help: 'Shard messages settled, by message kind and outcome',
      labelNames: ['kind', 'outcome'],
      registers,
    }),
    shardSeconds: new Histogram({
      name: 'tessera_scorer_shard_duration_seconds',
      help: 'Time spent in a shard handler',
      labelNames: ['kind'],
      registers,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    }),
    frames: new Counter({ name: 'tessera_scorer_frames_total', help: 'Video frames styled', registers }),
    windows: new Counter({ name: 'tessera_scorer_windows_total', help: 'Sensor windows scored', registers }),
    errors: new Counter({
      name: 'tessera_scorer_errors_total',
      help: 'Failed shard attempts, by error code',
      labelNames: ['code'],
      registers,
    }),
    lockRenewals: new Counter({
      name: 'tessera_scorer_lock_renewals_total',
      help: 'Peek-lock renewals, by result (ok, lost, failed)',
      labelNames: ['result'],
      registers,
    }),
    inFlight: new Gauge({
      name: 'tessera_scorer_messages_in_flight',
      help: 'Shard messages being handled now',
      registers,
    }),
    executionProvider: new Gauge({
      name: 'tessera_scorer_execution_provider',
      help: 'The execution provider the startup self-test proved (1 = in use)',
      labelNames: ['requested', 'provider'],
      registers,
    }),
    ready: new Gauge({ name: 'tessera_scorer_ready', help: '1 while /readyz answers 200', registers }),
    draining: new Gauge({ name: 'tessera_scorer_draining', help: '1 from SIGTERM until exit', registers }),
  };
}
