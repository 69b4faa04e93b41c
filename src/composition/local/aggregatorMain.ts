/**
 * The stream aggregator process of the embedded runtime: one loop per event-log partition,
 * each restored from its checkpoint and snapshot. On SIGTERM or SIGINT it finishes the step in
 * hand (so the checkpoint and the window state stay consistent), closes its stores and exits.
 * SIGKILL at any point is safe too: the next start undoes the uncommitted step and reads again.
 * When the runtime that forked it dies, it exits within seconds; each partition is claimed (a new
 * epoch), so even an aggregator that outlived its runtime could no longer commit.
 */
import { hostname } from 'node:os';
import { loadConfig } from '../../config/config.js';
import { startTelemetry } from '../../telemetry/setup.js';
import { ensureError } from '../../core/errors.js';
import { runPartition } from '../../usecases/stream/aggregatePartition.js';
import { openLocalContext } from './localContext.js';
import { createLogger } from '../../hosting/logger.js';
import { exitWithParent, reportFailure } from './parentWatch.js';

const config = loadConfig();
const log = createLogger({ level: config.logLevel, fields: { role: 'aggregator', pid: process.pid } });
const telemetry = await startTelemetry({ service: 'tessera-aggregator' });
const stop = new AbortController();
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => stop.abort());
exitWithParent(stop, log);

try {
  const ctx = openLocalContext(config, log, { crashPoints: true });
  await ctx.ensureContainers();
  const partitions = Array.from({ length: config.stream.partitions }, (_, p) => p);
  const deps = { ...ctx.aggregate, ownerId: `${hostname()} pid ${process.pid}` };
  // One partition failing (a newer owner claimed it: OwnershipLostError) stops them all.
  const loops = partitions.map((p) =>
    runPartition(deps, p, stop.signal).catch((error: unknown) => {
      stop.abort();
      throw error;
    }),
  );
  const failed = (await Promise.allSettled(loops)).find((r) => r.status === 'rejected');
  await ctx.close();
  if (failed) throw failed.reason;
  log.info('aggregator stopped');
} catch (error) {
  reportFailure(ensureError(error), config.home, log, 'aggregator');
} finally {
  await telemetry.shutdown();
}
