/**
 * The stream aggregator process of the embedded runtime: one loop per event-log partition,
 * each restored from its checkpoint and snapshot. On SIGTERM or SIGINT it finishes the step in
 * hand (so the checkpoint and the window state stay consistent), closes its stores and exits.
 * SIGKILL at any point is safe too: the next start undoes the uncommitted step and reads again.
 */
import { loadConfig } from '../../config/config.js';
import { startTelemetry } from '../../telemetry/setup.js';
import { ensureError } from '../../core/errors.js';
import { runPartition } from '../../usecases/stream/aggregatePartition.js';
import { openLocalContext } from './localContext.js';
import { createLogger } from '../../hosting/logger.js';

const config = loadConfig();
const log = createLogger({ level: config.logLevel, fields: { role: 'aggregator', pid: process.pid } });
const telemetry = await startTelemetry({ service: 'tessera-aggregator' });
const ctx = openLocalContext(config, log, { crashPoints: true });
const stop = new AbortController();
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => stop.abort());

try {
  await ctx.ensureContainers();
  const partitions = Array.from({ length: config.stream.partitions }, (_, p) => p);
  await Promise.all(partitions.map((p) => runPartition(ctx.aggregate, p, stop.signal)));
  await ctx.close();
  log.info('aggregator stopped');
} catch (error) {
  log.error('aggregator crashed', { error: ensureError(error).stack ?? String(error) });
  process.exitCode = 1;
} finally {
  await telemetry.shutdown();
}
