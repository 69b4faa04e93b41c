import type { AggregatorOptions } from '../core/stream/aggregatorTypes.js';
import type { DecodeLimits } from '../core/stream/readingSchema.js';
import type { AnomalySettings } from '../usecases/anomaly/deps.js';
import type { VideoSettings } from '../usecases/video/deps.js';
import type { Config } from './config.js';

/**
 * The use cases' settings from the parsed configuration: one mapping, shared by every composition
 * root (the embedded runtime, the Functions app, the scorer), so they cannot drift apart.
 */
export function anomalySettingsOf(config: Config): AnomalySettings {
  return {
    modelPattern: config.modelPattern,
    windowsPerShard: config.windowsPerShard,
    planBufferRows: config.planBufferRows,
    parallelism: config.workers,
    errorBudget: config.errorBudget,
    faultShardDelayMs: config.faultShardDelayMs,
    timestampRange: { minMs: config.minTimestampMs, maxMs: config.maxTimestampMs },
  };
}

export function videoSettingsOf(config: Config, cacheDir: string): VideoSettings {
  const v = config.video;
  return {
    defaultModel: v.model,
    shardSeconds: v.shardSeconds,
    maxShardFrames: v.maxShardFrames,
    parallelism: config.workers,
    fit: v.fit,
    batch: v.batch,
    limits: {
      maxPixels: v.maxPixels,
      maxSeconds: v.maxSeconds,
      maxBytes: v.maxBytes,
      containers: v.containers,
      codecs: v.codecs,
    },
    onShardError: v.onShardError,
    cacheDir,
    faultShardDelayMs: config.faultShardDelayMs,
  };
}

/** The stream aggregator's windowing and validation settings. */
export function aggregatorSettingsOf(config: Config): {
  aggregator: Omit<AggregatorOptions, 'partition'>;
  limits: Omit<DecodeLimits, 'nowMs'>;
} {
  const s = config.stream;
  return {
    aggregator: {
      windows:
        s.hopSeconds > 0
          ? { kind: 'hopping', sizeSeconds: s.windowSeconds, hopSeconds: s.hopSeconds }
          : { kind: 'tumbling', sizeSeconds: s.windowSeconds },
      outOfOrderToleranceMs: s.outOfOrderMs,
      lateArrivalToleranceMs: s.lateMs,
      latePolicy: s.latePolicy,
    },
    limits: {
      maxPastMs: s.maxPastSeconds * 1000,
      maxFutureMs: s.maxFutureSeconds * 1000,
      maxBackfillPastMs: s.backfillMaxPastSeconds * 1000,
    },
  };
}
