/**
 * One bounded read of a partition through the SDK's EventHubConsumerClient: subscribe to that
 * partition from a position, take the first non-empty batch (at most `max` events, credit `max`),
 * close the subscription. Ends with [] when `waitMs` passes or `signal` aborts first.
 *
 * Positions: sequence number n is asked for as "after n-1" (`x-opt-sequence-number > 'n-1'`),
 * and 0 as the earliest event, never as a number past the partition's end (the service refuses a
 * filter naming a sequence number beyond its last one; the caller checks before subscribing).
 * No owner level (epoch) is set: readers never disconnect each other.
 */
import {
  earliestEventPosition,
  type EventHubConsumerClient,
  type EventPosition,
  type ReceivedEventData,
} from '@azure/event-hubs';
import { mapEventHubsError } from './eventHubsErrors.js';

export interface ReadRequest {
  readonly partition: number;
  readonly from: number;
  readonly max: number;
  readonly waitMs: number;
  readonly signal?: AbortSignal;
}

const positionOf = (from: number): EventPosition =>
  from === 0 ? earliestEventPosition : { sequenceNumber: from - 1, isInclusive: false };

export function readOnce(consumer: EventHubConsumerClient, what: string, r: ReadRequest): Promise<ReceivedEventData[]> {
  if (r.signal?.aborted) return Promise.resolve([]);
  return new Promise((resolve, reject) => {
    let settled = false;
    // Set below; `finish` may only run once both exist (the SDK calls back asynchronously).
    const handles: { timer?: NodeJS.Timeout; subscription?: { close(): Promise<void> } } = {};
    const finish = (outcome: ReceivedEventData[] | Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(handles.timer);
      r.signal?.removeEventListener('abort', onAbort);
      const deliver = () => (outcome instanceof Error ? reject(outcome) : resolve(outcome));
      void (handles.subscription?.close() ?? Promise.resolve()).then(deliver, deliver);
    };
    const onAbort = () => finish([]);
    handles.subscription = consumer.subscribe(
      String(r.partition),
      {
        processEvents: (events) => {
          if (events.length > 0) finish(events.slice(0, r.max));
          return Promise.resolve();
        },
        // Retryable errors (a dropped link) are retried by the SDK within the wait; others end the read.
        processError: (error) => {
          if ((error as { retryable?: boolean }).retryable !== true) finish(mapEventHubsError(what, error));
          return Promise.resolve();
        },
      },
      {
        startPosition: positionOf(r.from),
        maxBatchSize: r.max,
        prefetchCount: r.max,
        maxWaitTimeInSeconds: Math.max(0.05, Math.min(r.waitMs, 30_000) / 1000),
        skipParsingBodyAsJson: true,
      },
    );
    handles.timer = setTimeout(() => finish([]), r.waitMs);
    r.signal?.addEventListener('abort', onAbort, { once: true });
  });
}
