/**
 * OpenTelemetry metrics on the API only: the instruments are no-ops until a composition root
 * registers a meter provider (telemetry/setup.ts). The API has no proxy meter, so instruments are
 * made on first use after each provider change, not at import time.
 *
 * - `tessera.messages` {message}: queue messages handled, by queue, kind and outcome
 *   (completed, retried, dead_lettered, lock_lost);
 * - `tessera.message.duration` s: handling time per message, by queue, kind and outcome;
 * - `tessera.lock.renewals` {renewal}: by result (ok, lost, failed);
 * - `tessera.frames` {frame}: frames through a style model, by model and execution provider;
 * - `tessera.windows` {window}: windows through an anomaly model (batch and stream jobs);
 * - `tessera.events` {event}: stream events the aggregator committed, by partition and outcome (accepted, dead_lettered).
 * Frames and windows count model runs, so a retried shard's work counts again: they measure work done, the ledger counts results.
 */
import { metrics, type Counter, type Histogram, type MeterProvider } from '@opentelemetry/api';

export const METER_NAME = 'tessera';

interface Instruments {
  readonly messages: Counter;
  readonly messageDuration: Histogram;
  readonly lockRenewals: Counter;
  readonly frames: Counter;
  readonly windows: Counter;
  readonly events: Counter;
}

let cached: { provider: MeterProvider; instruments: Instruments } | undefined;

export function instruments(): Instruments {
  const provider = metrics.getMeterProvider();
  if (cached?.provider === provider) return cached.instruments;
  const meter = provider.getMeter(METER_NAME);
  const made: Instruments = {
    messages: meter.createCounter('tessera.messages', {
      description: 'Queue messages handled, by queue, kind and outcome',
      unit: '{message}',
    }),
    messageDuration: meter.createHistogram('tessera.message.duration', {
      description: 'Time to handle one queue message',
      unit: 's',
    }),
    lockRenewals: meter.createCounter('tessera.lock.renewals', {
      description: 'Peek-lock renewals, by result',
      unit: '{renewal}',
    }),
    frames: meter.createCounter('tessera.frames', {
      description: 'Video frames through a style model',
      unit: '{frame}',
    }),
    windows: meter.createCounter('tessera.windows', {
      description: 'Windows through an anomaly model',
      unit: '{window}',
    }),
    events: meter.createCounter('tessera.events', {
      description: 'Stream events the aggregator committed, by outcome',
      unit: '{event}',
    }),
  };
  cached = { provider, instruments: made };
  return made;
}
