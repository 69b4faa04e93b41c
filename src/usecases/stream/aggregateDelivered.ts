import { PermanentError } from '../../core/errors.js';
import { forwardingEventLog, type EventLog, type EventRecord } from '../../ports/eventLog.js';
import { aggregateStep, restorePartition, type AggregateDeps } from './aggregatePartition.js';

/**
 * Aggregates a batch of events a host delivered (the Event Hubs trigger), exactly as the embedded
 * aggregator's loop does with the events it reads itself: claims the partition and restores its
 * aggregator from Tessera's own checkpoint, then runs aggregateStep over a view of the log that
 * serves the delivered events; aggregateStep commits the snapshot, the checkpoint under the claim,
 * then the window batch. An invocation still running for this partition on another instance (the
 * host rebalanced) is fenced by the claim: its commit fails and its batch is retried.
 *
 * Events at or before the checkpoint (the host redelivers after a failure or a rebalance) are
 * skipped: nothing is counted twice. Events the host skipped (it moves past a batch whose retries
 * ran out) are read from the log itself before the delivered ones: nothing is lost while the hub
 * retains them. Invalid events never throw (they are dead-lettered); a throw means retry the batch.
 */
export async function aggregateDelivered(
  deps: AggregateDeps,
  records: readonly EventRecord[],
): Promise<{ skipped: number; fromLog: number; next: number }> {
  const partition = records[0]!.partition;
  const owned = await restorePartition(deps, partition);
  const start = owned.next;
  const fresh = records.filter((r) => r.sequenceNumber >= start);
  const last = records[records.length - 1]!.sequenceNumber;
  let next = start;
  let fromLog = 0;
  const events = deliveredView(deps.events, fresh, () => (fromLog += 1));
  while (next <= last) {
    const after = await aggregateStep({ ...deps, events }, owned, next);
    if (after === next)
      throw new PermanentError(`partition ${partition}: no event at sequence number ${next} in the batch or the log`);
    next = after;
  }
  return { skipped: records.length - fresh.length, fromLog, next };
}

/** The log as aggregateStep reads it: the delivered events, preceded by any gap read from the log itself. */
function deliveredView(log: EventLog, delivered: readonly EventRecord[], countFromLog: () => void): EventLog {
  const first = delivered[0]?.sequenceNumber ?? Number.POSITIVE_INFINITY;
  return {
    ...forwardingEventLog(log),
    async read(partition, from, max) {
      if (from < first) {
        const gap = (await log.read(partition, from, Math.min(max, first - from))).filter(
          (r) => r.sequenceNumber < first,
        );
        gap.forEach(countFromLog);
        if (gap.length > 0) return gap;
      }
      return delivered.filter((r) => r.sequenceNumber >= from).slice(0, max);
    },
    // The view is the caller's; the log stays open.
    close: () => Promise.resolve(),
  };
}
