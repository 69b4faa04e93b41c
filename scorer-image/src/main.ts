/**
 * The AKS scorer: a composition root around the same use cases the embedded worker runs
 * (src/composition/local/workerMain.ts), over Blob/Table Storage and Service Bus (src/composition/azure/azureContext.ts).
 *
 * Startup: settings parsed once → health server (/healthz answers from here on) → the Azure
 * context (identity-based clients; emulator connection strings only for Azurite and the test broker)
 * → the execution provider self-test (TESSERA_EP must really run, no silent CPU fallback; a failure
 * exits 1, loudly) → ready, and TESSERA_SCORER_CONCURRENCY message pumps on the `jobs` queue.
 *
 * SIGTERM (or SIGINT): not ready, stop receiving, let the shards in hand finish within
 * TESSERA_DRAIN_SECONDS (under the pod's 300 s grace), abandon what still runs at that deadline
 * (redelivered at once), close the clients, exit 0. A second signal abandons at once.
 * Exit codes: 0 drained, 1 a fatal error (bad credentials, no queue, a failed self-test), 2 bad settings.
 */
import { credentialFor, openAzureContext, type AzureContext } from '../../src/composition/azure/azureContext.js';
import { TesseraError, ensureError } from '../../src/core/errors.js';
import type { Logger } from '../../src/ports/logger.js';
import { createLogger } from '../../src/hosting/logger.js';
import { recordDeadLetter } from '../../src/usecases/deadLetters.js';
import { verifyExecutionProviderOnce } from '../../src/video/style/providerSelfTest.js';
import { startTelemetry, type Telemetry } from '../../src/telemetry/setup.js';
import { startHealthServer } from './healthServer.js';
import { instrumentQueue } from './instrumentedQueue.js';
import { createPrometheusReader, observeScorer } from './scorerMetrics.js';
import { startScorerPumps } from './scorerPumps.js';
import { loadScorerSettings, type ScorerSettings } from './scorerSettings.js';
import { createShardTracker } from './shardTracker.js';

/** Longest wait for the clients to close before exiting anyway. */
const CLOSE_TIMEOUT_MS = 10_000;

async function main(): Promise<number> {
  let settings: ScorerSettings;
  try {
    settings = loadScorerSettings();
  } catch (error) {
    createLogger().error('bad settings', { error: ensureError(error).message });
    return 2;
  }
  const { config } = settings.azure;
  const provider = config.video.executionProvider;
  const log = createLogger({ level: config.logLevel, fields: { worker: settings.workerId, pid: process.pid } });
  const prometheus = createPrometheusReader();

  const state: ScorerRunState = { verified: false, draining: false, inFlight: () => 0 };
  const notReady = (): string | undefined => {
    if (state.draining) return 'draining';
    if (!state.ctx) return 'opening the Azure context';
    if (!state.verified) return `execution provider self-test (${provider}) has not passed`;
    return undefined;
  };
  const health = await startHealthServer({
    port: settings.healthPort,
    readiness: notReady,
    metrics: (req, res) => prometheus.getMetricsRequestHandler(req, res),
  });
  log.info('health server listening', { port: health.port });

  let signals = 0;
  let onSignal: (signal: NodeJS.Signals) => void = () => {};
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    for (const s of ['SIGTERM', 'SIGINT'] as const) {
      process.on(s, () => {
        signals += 1;
        state.draining = true;
        if (signals === 1) resolve(s);
        onSignal(s);
      });
    }
  });

  let code = 0;
  let telemetry: Telemetry | undefined;
  try {
    const credential = await credentialFor(settings.azure);
    // Traces and metrics (Azure Monitor in production, see src/telemetry/setup.ts); /metrics serves the same metrics.
    telemetry = await startTelemetry({
      service: 'tessera-scorer',
      credential,
      attributes: { 'tessera.worker': settings.workerId, 'tessera.execution_provider': provider },
      metricReaders: [prometheus],
    });
    log.info('telemetry', { mode: telemetry.mode });
    observeScorer({
      ready: () => notReady() === undefined,
      draining: () => state.draining,
      inFlight: () => state.inFlight(),
      executionProvider: () => state.proven,
    });
    const ctx = openAzureContext(settings.azure, credential, log);
    state.ctx = ctx;
    try {
      code = await run(ctx, settings, log, state, signalled, (handler) => {
        onSignal = handler;
      });
    } finally {
      await closeWithin(ctx, log);
    }
  } catch (error) {
    const e = ensureError(error);
    log.error('scorer failed', { error: e.message, code: e instanceof TesseraError ? e.code : e.name });
    code = 1;
  } finally {
    await health.close();
    await telemetry?.shutdown();
  }
  log.info('scorer stopped', { exitCode: code });
  return code;
}

/** What the probes and the gauges read. */
interface ScorerRunState {
  ctx?: AzureContext;
  verified: boolean;
  draining: boolean;
  /** The provider the self-test proved. */
  proven?: { readonly requested: string; readonly provider: string };
  inFlight: () => number;
}

async function run(
  ctx: AzureContext,
  settings: ScorerSettings,
  log: Logger,
  state: ScorerRunState,
  signalled: Promise<NodeJS.Signals>,
  onLaterSignal: (handler: (signal: NodeJS.Signals) => void) => void,
): Promise<number> {
  const { config } = settings.azure;
  const requested = config.video.executionProvider;
  // Video models need it; it also proves onnxruntime loads at all before any shard is taken.
  const started = await Promise.race([verifyExecutionProviderOnce(requested), signalled]);
  if (typeof started === 'string') {
    log.info('stopped before it was ready', { signal: started });
    return 0;
  }
  state.proven = { requested, provider: started.provider };
  state.verified = true;

  const queue = instrumentQueue(ctx.queue);
  const tracker = createShardTracker({ dispatchFor: (scoped) => ctx.withLog(scoped).dispatch, queue });
  state.inFlight = () => tracker.inHand();
  const pumps = startScorerPumps({
    queue,
    tracker,
    concurrency: settings.concurrency,
    log,
    waitMs: Math.max(200, config.pollMs * 5),
    retry: config.retry,
    onDeadLetter: (body, reason, description) => recordDeadLetter(ctx.deps, body, reason, description),
  });
  log.info('scorer ready', {
    queue: queue.name,
    concurrency: settings.concurrency,
    executionProvider: requested,
    provider: started.provider,
    selfTestMs: Math.round(started.detail.ms),
    drainSeconds: settings.drainSeconds,
  });

  const first = await Promise.race([
    signalled,
    pumps.done.then(
      () => undefined,
      (error: unknown) => ensureError(error),
    ),
  ]);
  if (first instanceof Error || first === undefined) return 1; // the pumps logged why
  log.info('draining', { signal: first, inHand: tracker.inHand(), drainSeconds: settings.drainSeconds });
  onLaterSignal((signal) => {
    log.warn('second signal: abandoning the shards in hand now', { signal });
    void tracker.abandonAll(`the worker was told twice to stop (${signal})`);
  });
  const outcome = await pumps.drain(settings.drainSeconds * 1000);
  log.info('drained', { outcome, inHand: tracker.inHand() });
  return 0;
}

async function closeWithin(ctx: AzureContext, log: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), CLOSE_TIMEOUT_MS);
  });
  const closed = ctx.close().then(
    () => 'closed' as const,
    (error: unknown) => {
      log.warn('closing the clients failed', { error: ensureError(error).message });
      return 'closed' as const;
    },
  );
  if ((await Promise.race([closed, timeout])) === 'timeout')
    log.warn('the clients did not close in time; exiting anyway', { timeoutMs: CLOSE_TIMEOUT_MS });
  clearTimeout(timer);
}

process.exitCode = await main();
// Whatever still holds the event loop (an abandoned shard's child process winding down) must not
// keep a stopped worker past the pod's grace period.
setTimeout(() => process.exit(), 3_000).unref();
