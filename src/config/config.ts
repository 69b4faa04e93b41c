import { resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import { parseCron, type CronSchedule } from '../core/cron.js';
import { DEFAULT_VIDEO_CONTAINERS } from '../video/ffmpeg/inputs.js';
import { DEFAULT_RETRY, type RetryPolicy } from '../hosting/backoff.js';
import { InputError } from '../core/errors.js';
import { formatTimestamp, parseTimestamp } from '../core/timestamps.js';
import { parseCrashPoints } from '../composition/local/crashPoints.js';

/**
 * Tessera's configuration, parsed once from the environment; frozen. Every TESSERA_* setting (these
 * and those the Azure, telemetry and scorer parsers read) is documented once in ./settings.ts, from
 * which the README's reference table is generated.
 */
export interface Config {
  /** All embedded-runtime state lives here (TESSERA_HOME, default ./.tessera). */
  readonly home: string;
  /** Worker processes of the local runtime (TESSERA_WORKERS). */
  readonly workers: number;
  /** Model name for a series; `{device}` and `{tag}` are substituted (TESSERA_MODEL_PATTERN). */
  readonly modelPattern: string;
  /** Windows per shard span (TESSERA_WINDOWS_PER_SHARD); 0 (`auto`, the default) sizes shards to the work. */
  readonly windowsPerShard: number;
  /** Rows the planner buffers before writing parts: bounds its memory (TESSERA_PLAN_BUFFER_ROWS). */
  readonly planBufferRows: number;
  /**
   * The event times a batch file may hold: a row before TESSERA_MIN_TIMESTAMP (default 1970-01-01) or
   * at or after TESSERA_MAX_TIMESTAMP (default 2100-01-01) is rejected as out of range. Epoch ms.
   */
  readonly minTimestampMs: number;
  readonly maxTimestampMs: number;
  /** Fraction of bad rows a job tolerates (TESSERA_ERROR_BUDGET, default 0.01). */
  readonly errorBudget: number;
  /** Peek-lock duration of the work queue (TESSERA_LOCK_MS). */
  readonly lockDurationMs: number;
  /** Deliveries before a message is dead-lettered (TESSERA_MAX_DELIVERIES). */
  readonly maxDeliveryCount: number;
  /**
   * When a message that failed transiently is delivered again: after TESSERA_RETRY_BASE_MS (15 s),
   * doubling per delivery up to TESSERA_RETRY_MAX_MS (5 min), with jitter.
   */
  readonly retry: RetryPolicy;
  /** Rows per onnxruntime call (TESSERA_BATCH_ROWS). */
  readonly batchRows: number;
  /** Rewrite ai.onnx.ml SVM graphs into standard ops at load (TESSERA_OPTIMIZE_MODELS). */
  readonly optimizeModels: boolean;
  /** Idle poll interval of watchers and workers (TESSERA_POLL_MS). */
  readonly pollMs: number;
  /** Fault injection for chaos tests: a worker sleeps this long inside every shard (TESSERA_FAULT_SHARD_DELAY_MS). */
  readonly faultShardDelayMs: number;
  /** Fault injection for crash tests: where a worker or the aggregator kills itself, once (TESSERA_CRASH_AT; crashPoints.ts). */
  readonly crashAt: string | undefined;
  /** Log level (TESSERA_LOG_LEVEL). */
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** The video job's settings (TESSERA_VIDEO_*, TESSERA_EP). */
  readonly video: VideoConfig;
  /**
   * When stream runs score the closed windows, in UTC (TESSERA_SCORE_CRON, default hourly): five
   * fields, the six-field NCRONTAB form, names or a macro (core/cron.ts). Kept as written and parsed
   * only by what uses it (`scoreCronOf`), so a bad value stops `up` and the timer Function, nothing else.
   */
  readonly scoreCron: string;
  /** The sensor stream (TESSERA_STREAM_*). */
  readonly stream: StreamConfig;
  /**
   * Loopback port of `tessera up`'s server: dashboard, jobs API, /metrics and readings (TESSERA_PORT,
   * default 7433, the same on every start; 0 picks a free one).
   */
  readonly port: number;
  /** Where the CLI sends its commands instead of the local files (TESSERA_REMOTE_*, TESSERA_TOKEN). */
  readonly remote: RemoteConfig;
}

export interface RemoteConfig {
  /** A deployed or running API's origin, e.g. `https://func-x.azurewebsites.net` (TESSERA_REMOTE; the CLI's `--remote` wins). */
  readonly url: string | undefined;
  /** The Entra ID scope of the API's app registration, e.g. `api://tessera-api/.default` (TESSERA_REMOTE_SCOPE). */
  readonly scope: string | undefined;
  /** A bearer token to send as it is, instead of the local token file or an Entra ID token (TESSERA_TOKEN). */
  readonly token: string | undefined;
}

export interface StreamConfig {
  /** Partitions of the local event log (TESSERA_STREAM_PARTITIONS). */
  readonly partitions: number;
  /** The aggregator's consumer group (TESSERA_STREAM_CONSUMER_GROUP). */
  readonly consumerGroup: string;
  /** Window size; hop 0 means tumbling (TESSERA_STREAM_WINDOW_SECONDS, TESSERA_STREAM_HOP_SECONDS). */
  readonly windowSeconds: number;
  readonly hopSeconds: number;
  /** Watermark lag behind the newest event (TESSERA_STREAM_OUT_OF_ORDER_MS, default 0 as Stream Analytics). */
  readonly outOfOrderMs: number;
  /** Late-arrival tolerance (TESSERA_STREAM_LATE_MS, default 5000 as Stream Analytics). */
  readonly lateMs: number;
  /** What happens to an event later than that: adjust (default) or drop (TESSERA_STREAM_LATE_POLICY). */
  readonly latePolicy: 'adjust' | 'drop';
  /** Event times further than this from now are refused (TESSERA_STREAM_MAX_PAST_SECONDS, _MAX_FUTURE_SECONDS). */
  readonly maxPastSeconds: number;
  readonly maxFutureSeconds: number;
  /** The same for readings marked `backfill` (TESSERA_STREAM_BACKFILL_MAX_PAST_SECONDS, default 20 years). */
  readonly backfillMaxPastSeconds: number;
  /** Port of the readings endpoint of an embedded runtime without `tessera up`'s server (`tessera run`); 0 picks a free one (TESSERA_INGEST_PORT). */
  readonly ingestPort: number;
  /** Address it listens on (TESSERA_INGEST_HOST, default 127.0.0.1); beyond loopback it needs `ingestToken`. */
  readonly ingestHost: string;
  /** Bearer token every POST must carry (TESSERA_INGEST_TOKEN); none by default. */
  readonly ingestToken: string | undefined;
}

export interface VideoConfig {
  /** Style model when the submission names none (TESSERA_VIDEO_MODEL; `toon` is built in). */
  readonly model: string;
  /** Seconds of video per shard (TESSERA_VIDEO_SHARD_SECONDS). */
  readonly shardSeconds: number;
  /** Cap on frames per shard (TESSERA_VIDEO_MAX_SHARD_FRAMES). */
  readonly maxShardFrames: number;
  /** How frames meet a fixed-size model: stretch or letterbox (TESSERA_VIDEO_FIT). */
  readonly fit: 'stretch' | 'letterbox';
  /** x264 quality and speed (TESSERA_VIDEO_CRF, TESSERA_VIDEO_PRESET). */
  readonly crf: number;
  readonly preset: string;
  /** Frames per model run (TESSERA_VIDEO_BATCH). */
  readonly batch: number;
  /** onnxruntime threads per session; 0 lets onnxruntime choose (TESSERA_VIDEO_THREADS). */
  readonly threads: number;
  /**
   * Threads of each ffmpeg decoder and encoder of a segment; 0 lets ffmpeg choose, about one per core
   * (TESSERA_VIDEO_FFMPEG_THREADS). Default: the cores shared out between the workers, at least 1.
   */
  readonly ffmpegThreads: number;
  /** cpu, cuda, tensorrt or webgpu (TESSERA_EP); a provider that cannot run fails loudly. */
  readonly executionProvider: 'cpu' | 'cuda' | 'tensorrt' | 'webgpu';
  /** A shard that fails permanently fails the job, or passes its frames through unstyled (TESSERA_VIDEO_ON_SHARD_ERROR). */
  readonly onShardError: 'fail' | 'passthrough';
  readonly maxPixels: number;
  readonly maxSeconds: number;
  readonly maxBytes: number;
  readonly containers: readonly string[];
  readonly codecs: readonly string[];
}

function oneOf<T extends string>(env: Env, key: string, fallback: T, allowed: readonly T[]): T {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw))
    throw new InputError(key, `must be one of ${allowed.join(', ')}, got "${raw}"`);
  return raw as T;
}

/** The score schedule of a config: an InputError naming TESSERA_SCORE_CRON when it is not a schedule. */
export function scoreCronOf(config: Pick<Config, 'scoreCron'>): CronSchedule {
  try {
    return parseCron(config.scoreCron);
  } catch (error) {
    throw new InputError('TESSERA_SCORE_CRON', error instanceof Error ? error.message : String(error));
  }
}

function list(env: Env, key: string, fallback: readonly string[]): readonly string[] {
  const raw = env[key];
  return raw === undefined || raw === ''
    ? fallback
    : Object.freeze(
        raw
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== ''),
      );
}

function loadVideoConfig(env: Env, workers: number): VideoConfig {
  return Object.freeze({
    model: env.TESSERA_VIDEO_MODEL || 'toon',
    shardSeconds: integer(env, 'TESSERA_VIDEO_SHARD_SECONDS', 4, 1, 600),
    maxShardFrames: integer(env, 'TESSERA_VIDEO_MAX_SHARD_FRAMES', 300, 1, 100_000),
    fit: oneOf(env, 'TESSERA_VIDEO_FIT', 'stretch', ['stretch', 'letterbox'] as const),
    crf: integer(env, 'TESSERA_VIDEO_CRF', 18, 0, 51),
    preset: oneOf(env, 'TESSERA_VIDEO_PRESET', 'veryfast', [
      'ultrafast',
      'superfast',
      'veryfast',
      'faster',
      'fast',
      'medium',
      'slow',
      'slower',
      'veryslow',
    ] as const),
    batch: integer(env, 'TESSERA_VIDEO_BATCH', 2, 1, 64),
    threads: integer(env, 'TESSERA_VIDEO_THREADS', 0, 0, 256),
    ffmpegThreads: integer(
      env,
      'TESSERA_VIDEO_FFMPEG_THREADS',
      Math.max(1, Math.floor(availableParallelism() / workers)),
      0,
      256,
    ),
    executionProvider: oneOf(env, 'TESSERA_EP', 'cpu', ['cpu', 'cuda', 'tensorrt', 'webgpu'] as const),
    onShardError: oneOf(env, 'TESSERA_VIDEO_ON_SHARD_ERROR', 'fail', ['fail', 'passthrough'] as const),
    maxPixels: integer(env, 'TESSERA_VIDEO_MAX_PIXELS', 3840 * 2160, 1, 1e9),
    maxSeconds: integer(env, 'TESSERA_VIDEO_MAX_SECONDS', 4 * 3600, 1, 1e7),
    maxBytes: integer(env, 'TESSERA_VIDEO_MAX_BYTES', 20 * 1024 ** 3, 1, Number.MAX_SAFE_INTEGER),
    containers: list(env, 'TESSERA_VIDEO_CONTAINERS', DEFAULT_VIDEO_CONTAINERS),
    codecs: list(env, 'TESSERA_VIDEO_CODECS', ['h264', 'hevc', 'vp8', 'vp9', 'av1', 'mpeg4', 'mjpeg', 'prores']),
  });
}

type Env = Readonly<Record<string, string | undefined>>;

/** TESSERA_SCORE_CRON's default: hourly, on the hour (UTC). */
export const DEFAULT_SCORE_CRON = '0 * * * *';

function integer(env: Env, key: string, fallback: number, min: number, max: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new InputError(key, `must be an integer from ${min} to ${max}, got "${raw}"`);
  return n;
}

function timestamp(env: Env, key: string, fallback: string): number {
  const raw = env[key] || fallback;
  const ms = parseTimestamp(raw);
  if (ms === undefined) throw new InputError(key, `must be an ISO 8601 time such as ${fallback}, got "${raw}"`);
  return ms;
}

function fraction(env: Env, key: string, fallback: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InputError(key, `must be a fraction from 0 to 1, got "${raw}"`);
  return n;
}

function bool(env: Env, key: string, fallback: boolean): boolean {
  const raw = env[key]?.toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new InputError(key, `must be true or false, got "${raw}"`);
}

/** An http(s) origin without a trailing slash, or undefined when unset. */
export function remoteUrl(env: Env, key: string): string | undefined {
  const raw = env[key];
  if (raw === undefined || raw === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InputError(key, `must be an http(s) URL, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new InputError(key, `must be an http(s) URL, got "${raw}"`);
  return raw.replace(/\/+$/, '');
}

export function loadConfig(env: Env = process.env, overrides: Partial<Config> = {}): Config {
  const pattern = env.TESSERA_MODEL_PATTERN ?? 'ocsvm-{device}-{tag}';
  if (!pattern.includes('{device}') || !pattern.includes('{tag}')) {
    throw new InputError('TESSERA_MODEL_PATTERN', `must contain {device} and {tag}, got "${pattern}"`);
  }
  const level = env.TESSERA_LOG_LEVEL ?? 'info';
  if (!['debug', 'info', 'warn', 'error'].includes(level))
    throw new InputError('TESSERA_LOG_LEVEL', `must be debug, info, warn or error, got "${level}"`);
  const workers = integer(env, 'TESSERA_WORKERS', Math.max(2, Math.min(4, availableParallelism())), 1, 64);
  const config: Config = {
    home: resolve(env.TESSERA_HOME ?? '.tessera'),
    workers,
    modelPattern: pattern,
    windowsPerShard:
      env.TESSERA_WINDOWS_PER_SHARD?.toLowerCase() === 'auto'
        ? 0
        : integer(env, 'TESSERA_WINDOWS_PER_SHARD', 0, 0, 1_000_000),
    planBufferRows: integer(env, 'TESSERA_PLAN_BUFFER_ROWS', 1_000_000, 100, 100_000_000),
    minTimestampMs: timestamp(env, 'TESSERA_MIN_TIMESTAMP', '1970-01-01T00:00:00Z'),
    maxTimestampMs: timestamp(env, 'TESSERA_MAX_TIMESTAMP', '2100-01-01T00:00:00Z'),
    errorBudget: fraction(env, 'TESSERA_ERROR_BUDGET', 0.01),
    lockDurationMs: integer(env, 'TESSERA_LOCK_MS', 30_000, 100, 300_000),
    maxDeliveryCount: integer(env, 'TESSERA_MAX_DELIVERIES', 5, 1, 100),
    retry: Object.freeze({
      baseMs: integer(env, 'TESSERA_RETRY_BASE_MS', DEFAULT_RETRY.baseMs, 0, 86_400_000),
      maxMs: integer(env, 'TESSERA_RETRY_MAX_MS', DEFAULT_RETRY.maxMs, 0, 86_400_000),
    }),
    batchRows: integer(env, 'TESSERA_BATCH_ROWS', 4096, 1, 1_000_000),
    optimizeModels: bool(env, 'TESSERA_OPTIMIZE_MODELS', true),
    pollMs: integer(env, 'TESSERA_POLL_MS', 100, 5, 60_000),
    faultShardDelayMs: integer(env, 'TESSERA_FAULT_SHARD_DELAY_MS', 0, 0, 600_000),
    crashAt: crashPoints(env.TESSERA_CRASH_AT),
    logLevel: level as Config['logLevel'],
    video: loadVideoConfig(env, workers),
    scoreCron: env.TESSERA_SCORE_CRON || DEFAULT_SCORE_CRON,
    stream: Object.freeze({
      partitions: integer(env, 'TESSERA_STREAM_PARTITIONS', 4, 1, 1024),
      consumerGroup: env.TESSERA_STREAM_CONSUMER_GROUP || 'aggregator',
      windowSeconds: integer(env, 'TESSERA_STREAM_WINDOW_SECONDS', 60, 1, 86_400),
      hopSeconds: integer(env, 'TESSERA_STREAM_HOP_SECONDS', 0, 0, 86_400),
      outOfOrderMs: integer(env, 'TESSERA_STREAM_OUT_OF_ORDER_MS', 0, 0, 86_400_000),
      lateMs: integer(env, 'TESSERA_STREAM_LATE_MS', 5000, 0, 86_400_000),
      latePolicy: oneOf(env, 'TESSERA_STREAM_LATE_POLICY', 'adjust', ['adjust', 'drop'] as const),
      maxPastSeconds: integer(env, 'TESSERA_STREAM_MAX_PAST_SECONDS', 7 * 86_400, 1, 100 * 365 * 86_400),
      maxFutureSeconds: integer(env, 'TESSERA_STREAM_MAX_FUTURE_SECONDS', 300, 0, 365 * 86_400),
      backfillMaxPastSeconds: integer(
        env,
        'TESSERA_STREAM_BACKFILL_MAX_PAST_SECONDS',
        20 * 365 * 86_400,
        1,
        100 * 365 * 86_400,
      ),
      ingestPort: integer(env, 'TESSERA_INGEST_PORT', 0, 0, 65_535),
      ingestHost: env.TESSERA_INGEST_HOST || '127.0.0.1',
      ingestToken: env.TESSERA_INGEST_TOKEN || undefined,
    }),
    port: integer(env, 'TESSERA_PORT', 7433, 0, 65_535),
    remote: Object.freeze({
      url: remoteUrl(env, 'TESSERA_REMOTE'),
      scope: env.TESSERA_REMOTE_SCOPE || undefined,
      token: env.TESSERA_TOKEN || undefined,
    }),
    ...overrides,
  };
  if (config.retry.maxMs < config.retry.baseMs)
    throw new InputError(
      'TESSERA_RETRY_MAX_MS',
      `must be at least TESSERA_RETRY_BASE_MS (${config.retry.baseMs}), got ${config.retry.maxMs}`,
    );
  if (config.minTimestampMs >= config.maxTimestampMs)
    throw new InputError(
      'TESSERA_MIN_TIMESTAMP',
      `must be before TESSERA_MAX_TIMESTAMP (${formatTimestamp(config.minTimestampMs)} is not before ${formatTimestamp(config.maxTimestampMs)})`,
    );
  return Object.freeze(config);
}

/** TESSERA_CRASH_AT, checked at once: a malformed point must not become a worker crash loop. */
function crashPoints(value: string | undefined): string | undefined {
  if (!value) return undefined;
  parseCrashPoints(value);
  return value;
}

/** The environment that reproduces a config in a child process (less the ingest token, which no child needs). */
export function configToEnv(config: Config): Record<string, string> {
  return {
    TESSERA_HOME: config.home,
    TESSERA_WORKERS: String(config.workers),
    TESSERA_MODEL_PATTERN: config.modelPattern,
    TESSERA_WINDOWS_PER_SHARD: String(config.windowsPerShard),
    TESSERA_PLAN_BUFFER_ROWS: String(config.planBufferRows),
    TESSERA_MIN_TIMESTAMP: formatTimestamp(config.minTimestampMs),
    TESSERA_MAX_TIMESTAMP: formatTimestamp(config.maxTimestampMs),
    TESSERA_ERROR_BUDGET: String(config.errorBudget),
    TESSERA_LOCK_MS: String(config.lockDurationMs),
    TESSERA_MAX_DELIVERIES: String(config.maxDeliveryCount),
    TESSERA_RETRY_BASE_MS: String(config.retry.baseMs),
    TESSERA_RETRY_MAX_MS: String(config.retry.maxMs),
    TESSERA_BATCH_ROWS: String(config.batchRows),
    TESSERA_OPTIMIZE_MODELS: String(config.optimizeModels),
    TESSERA_POLL_MS: String(config.pollMs),
    TESSERA_FAULT_SHARD_DELAY_MS: String(config.faultShardDelayMs),
    ...(config.crashAt ? { TESSERA_CRASH_AT: config.crashAt } : {}),
    TESSERA_LOG_LEVEL: config.logLevel,
    TESSERA_VIDEO_MODEL: config.video.model,
    TESSERA_VIDEO_SHARD_SECONDS: String(config.video.shardSeconds),
    TESSERA_VIDEO_MAX_SHARD_FRAMES: String(config.video.maxShardFrames),
    TESSERA_VIDEO_FIT: config.video.fit,
    TESSERA_VIDEO_CRF: String(config.video.crf),
    TESSERA_VIDEO_PRESET: config.video.preset,
    TESSERA_VIDEO_BATCH: String(config.video.batch),
    TESSERA_VIDEO_THREADS: String(config.video.threads),
    TESSERA_VIDEO_FFMPEG_THREADS: String(config.video.ffmpegThreads),
    TESSERA_EP: config.video.executionProvider,
    TESSERA_VIDEO_ON_SHARD_ERROR: config.video.onShardError,
    TESSERA_VIDEO_MAX_PIXELS: String(config.video.maxPixels),
    TESSERA_VIDEO_MAX_SECONDS: String(config.video.maxSeconds),
    TESSERA_VIDEO_MAX_BYTES: String(config.video.maxBytes),
    TESSERA_VIDEO_CONTAINERS: config.video.containers.join(','),
    TESSERA_VIDEO_CODECS: config.video.codecs.join(','),
    TESSERA_SCORE_CRON: config.scoreCron,
    TESSERA_STREAM_PARTITIONS: String(config.stream.partitions),
    TESSERA_STREAM_CONSUMER_GROUP: config.stream.consumerGroup,
    TESSERA_STREAM_WINDOW_SECONDS: String(config.stream.windowSeconds),
    TESSERA_STREAM_HOP_SECONDS: String(config.stream.hopSeconds),
    TESSERA_STREAM_OUT_OF_ORDER_MS: String(config.stream.outOfOrderMs),
    TESSERA_STREAM_LATE_MS: String(config.stream.lateMs),
    TESSERA_STREAM_LATE_POLICY: config.stream.latePolicy,
    TESSERA_STREAM_MAX_PAST_SECONDS: String(config.stream.maxPastSeconds),
    TESSERA_STREAM_MAX_FUTURE_SECONDS: String(config.stream.maxFutureSeconds),
    TESSERA_STREAM_BACKFILL_MAX_PAST_SECONDS: String(config.stream.backfillMaxPastSeconds),
    TESSERA_INGEST_PORT: String(config.stream.ingestPort),
    TESSERA_INGEST_HOST: config.stream.ingestHost,
    // Not TESSERA_INGEST_TOKEN: only the parent serves the endpoint, and a secret stays where it is needed.
    TESSERA_PORT: String(config.port),
  };
}
