import { resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import { InputError } from '../core/errors.js';

/** Tessera's configuration, parsed once from the environment; frozen. */
export interface Config {
  /** All embedded-runtime state lives here (TESSERA_HOME, default ./.tessera). */
  readonly home: string;
  /** Worker processes of the local runtime (TESSERA_WORKERS). */
  readonly workers: number;
  /** Model name for a series; `{device}` and `{tag}` are substituted (TESSERA_MODEL_PATTERN). */
  readonly modelPattern: string;
  /** Windows per shard span (TESSERA_WINDOWS_PER_SHARD). */
  readonly windowsPerShard: number;
  /** Rows the planner buffers before writing parts: bounds its memory (TESSERA_PLAN_BUFFER_ROWS). */
  readonly planBufferRows: number;
  /** Fraction of bad rows a job tolerates (TESSERA_ERROR_BUDGET, default 0.01). */
  readonly errorBudget: number;
  /** Peek-lock duration of the work queue (TESSERA_LOCK_MS). */
  readonly lockDurationMs: number;
  /** Deliveries before a message is dead-lettered (TESSERA_MAX_DELIVERIES). */
  readonly maxDeliveryCount: number;
  /** Rows per onnxruntime call (TESSERA_BATCH_ROWS). */
  readonly batchRows: number;
  /** Rewrite ai.onnx.ml SVM graphs into standard ops at load (TESSERA_OPTIMIZE_MODELS). */
  readonly optimizeModels: boolean;
  /** Idle poll interval of watchers and workers (TESSERA_POLL_MS). */
  readonly pollMs: number;
  /** Fault injection for chaos tests: a worker sleeps this long inside every shard (TESSERA_FAULT_SHARD_DELAY_MS). */
  readonly faultShardDelayMs: number;
  /** Log level (TESSERA_LOG_LEVEL). */
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
}

type Env = Readonly<Record<string, string | undefined>>;

function integer(env: Env, key: string, fallback: number, min: number, max: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new InputError(key, `must be an integer from ${min} to ${max}, got "${raw}"`);
  return n;
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

export function loadConfig(env: Env = process.env, overrides: Partial<Config> = {}): Config {
  const pattern = env.TESSERA_MODEL_PATTERN ?? 'ocsvm-{device}-{tag}';
  if (!pattern.includes('{device}') || !pattern.includes('{tag}')) {
    throw new InputError('TESSERA_MODEL_PATTERN', `must contain {device} and {tag}, got "${pattern}"`);
  }
  const level = env.TESSERA_LOG_LEVEL ?? 'info';
  if (!['debug', 'info', 'warn', 'error'].includes(level)) throw new InputError('TESSERA_LOG_LEVEL', `must be debug, info, warn or error, got "${level}"`);
  const config: Config = {
    home: resolve(env.TESSERA_HOME ?? '.tessera'),
    workers: integer(env, 'TESSERA_WORKERS', Math.max(2, Math.min(4, availableParallelism())), 1, 64),
    modelPattern: pattern,
    windowsPerShard: integer(env, 'TESSERA_WINDOWS_PER_SHARD', 720, 1, 1_000_000),
    planBufferRows: integer(env, 'TESSERA_PLAN_BUFFER_ROWS', 100_000, 100, 100_000_000),
    errorBudget: fraction(env, 'TESSERA_ERROR_BUDGET', 0.01),
    lockDurationMs: integer(env, 'TESSERA_LOCK_MS', 30_000, 100, 300_000),
    maxDeliveryCount: integer(env, 'TESSERA_MAX_DELIVERIES', 5, 1, 100),
    batchRows: integer(env, 'TESSERA_BATCH_ROWS', 4096, 1, 1_000_000),
    optimizeModels: bool(env, 'TESSERA_OPTIMIZE_MODELS', true),
    pollMs: integer(env, 'TESSERA_POLL_MS', 100, 5, 60_000),
    faultShardDelayMs: integer(env, 'TESSERA_FAULT_SHARD_DELAY_MS', 0, 0, 600_000),
    logLevel: level as Config['logLevel'],
    ...overrides,
  };
  return Object.freeze(config);
}

/** The environment that reproduces a config in a child process. */
export function configToEnv(config: Config): Record<string, string> {
  return {
    TESSERA_HOME: config.home,
    TESSERA_WORKERS: String(config.workers),
    TESSERA_MODEL_PATTERN: config.modelPattern,
    TESSERA_WINDOWS_PER_SHARD: String(config.windowsPerShard),
    TESSERA_PLAN_BUFFER_ROWS: String(config.planBufferRows),
    TESSERA_ERROR_BUDGET: String(config.errorBudget),
    TESSERA_LOCK_MS: String(config.lockDurationMs),
    TESSERA_MAX_DELIVERIES: String(config.maxDeliveryCount),
    TESSERA_BATCH_ROWS: String(config.batchRows),
    TESSERA_OPTIMIZE_MODELS: String(config.optimizeModels),
    TESSERA_POLL_MS: String(config.pollMs),
    TESSERA_FAULT_SHARD_DELAY_MS: String(config.faultShardDelayMs),
    TESSERA_LOG_LEVEL: config.logLevel,
  };
}
