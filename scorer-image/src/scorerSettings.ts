/**
 * The scorer's settings, parsed once: the Azure entry points' settings (src/composition/azure/azureConfig.ts)
 * plus what only the AKS worker has. A bad value is an InputError naming the variable.
 */
import { hostname } from 'node:os';
import { loadAzureSettings, type AzureSettings } from '../../src/composition/azure/azureConfig.js';
import { InputError } from '../../src/core/errors.js';

/** infra/k8s/base/deployment.yaml's terminationGracePeriodSeconds. */
export const POD_TERMINATION_GRACE_SECONDS = 300;
/** What the drain bound must leave of the grace period: abandoning, closing clients, exiting. */
export const SHUTDOWN_MARGIN_SECONDS = 10;

export interface ScorerSettings {
  readonly azure: AzureSettings;
  /** Concurrent message pumps on the `jobs` queue (TESSERA_SCORER_CONCURRENCY, default 1). */
  readonly concurrency: number;
  /** Port of /healthz, /readyz and /metrics (TESSERA_HEALTH_PORT, default 8080; 0 picks a free one). */
  readonly healthPort: number;
  /** How long SIGTERM waits for in-flight shards before abandoning them (TESSERA_DRAIN_SECONDS, default 240). */
  readonly drainSeconds: number;
  /** Names this worker in logs: TESSERA_WORKER_ID, else the pod's host name. */
  readonly workerId: string;
}

type Env = Readonly<Record<string, string | undefined>>;

export function loadScorerSettings(env: Env = process.env): ScorerSettings {
  return Object.freeze({
    azure: loadAzureSettings(env),
    concurrency: integer(env, 'TESSERA_SCORER_CONCURRENCY', 1, 1, 64),
    healthPort: integer(env, 'TESSERA_HEALTH_PORT', 8080, 0, 65_535),
    drainSeconds: integer(
      env,
      'TESSERA_DRAIN_SECONDS',
      240,
      0,
      POD_TERMINATION_GRACE_SECONDS - SHUTDOWN_MARGIN_SECONDS,
      `(it must stay under the pod's ${POD_TERMINATION_GRACE_SECONDS} s termination grace period with ${SHUTDOWN_MARGIN_SECONDS} s to spare)`,
    ),
    workerId: env.TESSERA_WORKER_ID || env.HOSTNAME || hostname(),
  });
}

function integer(env: Env, key: string, fallback: number, min: number, max: number, why = ''): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new InputError(key, `must be an integer from ${min} to ${max}${why ? ` ${why}` : ''}, got "${raw}"`);
  return n;
}
