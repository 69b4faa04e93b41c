/**
 * A worker process of the embedded runtime: pulls messages from the work queue and runs the
 * anomaly job's use cases. On SIGTERM or SIGINT it stops receiving, settles the message in hand,
 * closes its stores and exits. When the runtime that forked it dies, it exits within seconds. An
 * error that ends it is logged and told to the pool (reportFailure).
 */
import { loadConfig } from '../../config/config.js';
import { startTelemetry } from '../../telemetry/setup.js';
import { ensureError } from '../../core/errors.js';
import { recordDeadLetter } from '../../usecases/deadLetters.js';
import { openLocalContext } from './localContext.js';
import { exitWithParent, reportFailure } from './parentWatch.js';
import { createLogger } from '../../hosting/logger.js';
import { runMessagePump } from '../../hosting/messagePump.js';

const config = loadConfig();
const log = createLogger({
  level: config.logLevel,
  fields: { worker: process.env.TESSERA_WORKER_ID ?? '0', pid: process.pid },
});
const telemetry = await startTelemetry({
  service: 'tessera-worker',
  attributes: { 'tessera.worker': process.env.TESSERA_WORKER_ID ?? '0' },
});
const stop = new AbortController();
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    log.info('draining', { signal });
    stop.abort();
  });
}
exitWithParent(stop, log);

try {
  const ctx = openLocalContext(config, log, { crashPoints: true });
  await runMessagePump(
    {
      queue: ctx.queue,
      handle: ctx.dispatch,
      onDeadLetter: (body, reason, description) => recordDeadLetter(ctx.deps, body, reason, description),
      log,
      waitMs: Math.max(200, config.pollMs * 5),
      retry: config.retry,
    },
    stop.signal,
  );
  await ctx.close();
  log.info('worker stopped');
} catch (error) {
  reportFailure(ensureError(error), config.home, log, 'worker');
} finally {
  await telemetry.shutdown();
}
