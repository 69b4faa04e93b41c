import { delay } from '../lib/delay.js';
import type { Readable } from 'node:stream';
import { InputError, positiveInteger } from '../core/errors.js';
import { RowErrorReport, type RowErrorSummary } from '../core/rowErrors.js';
import type { EventLog, OutgoingEvent } from '../ports/eventLog.js';
import { readingsCsvToEvents, type DraftEvent } from './readingsCsvToEvents.js';
import { createTokenBucket, type TokenBucket } from './tokenBucket.js';

export interface SendEventsOptions {
  readonly log: EventLog;
  /** CSV (`TS,Device,Tag,Value`) or JSON lines of readings. Destroyed when `signal` aborts. */
  readonly input: Readable;
  /** Names the input in errors: a path, or `stdin`. */
  readonly inputName: string;
  /** Rows gathered before they are appended (one append per device among them); default 100. */
  readonly batchSize?: number;
  /** At most this many events per second (token bucket); none = as fast as the log takes them. */
  readonly ratePerSecond?: number;
  /** Stops reading; events already read and paced are still appended, then the result says `aborted`. */
  readonly signal?: AbortSignal;
}

export interface SendEventsResult {
  /** Events appended. */
  readonly sent: number;
  /** Append calls made (each one batch, in one partition). */
  readonly batches: number;
  /** Data rows read, and the malformed CSV rows (not sent) by reason with their first line numbers. */
  readonly rejectedRows: RowErrorSummary;
  readonly aborted: boolean;
}

const DEFAULT_BATCH = 100;
/** Shortest pause when rate-limited: a few milliseconds' worth of tokens go out together. */
const MIN_PAUSE_MS = 10;

/**
 * The engine of `tessera send`: reads readings from a stream, turns them into events (see
 * readingsCsvToEvents) and appends them with the device id as partition key, so each device's events
 * stay in one partition in input order. Rows are gathered into batches of `batchSize`; a batch goes out
 * as one append per device in it. With a rate, pending events are flushed before every pause.
 */
export async function sendEvents(options: SendEventsOptions): Promise<SendEventsResult> {
  const { log, input, inputName, signal } = options;
  const batchSize = positiveInteger('batch size', options.batchSize ?? DEFAULT_BATCH);
  const bucket = options.ratePerSecond === undefined ? undefined : rateLimiter(options.ratePerSecond, batchSize);
  const report = new RowErrorReport();
  let pending: DraftEvent[] = [];
  let sent = 0;
  let batches = 0;

  const flush = async (): Promise<void> => {
    const groups = new Map<string | undefined, OutgoingEvent[]>();
    for (const event of pending) {
      let group = groups.get(event.partitionKey);
      if (group === undefined) groups.set(event.partitionKey, (group = []));
      group.push({ body: event.body });
    }
    pending = [];
    for (const [key, events] of groups) {
      await log.append(key, events);
      sent += events.length;
      batches += 1;
    }
  };

  const stopReading = (): void => {
    input.destroy();
  };
  signal?.addEventListener('abort', stopReading, { once: true });
  try {
    if (signal?.aborted === true) stopReading();
    for await (const item of readingsCsvToEvents(input, inputName)) {
      if (signal?.aborted === true) break;
      report.countRow();
      if (!item.ok) {
        report.reject(item.line, item.reason, item.detail);
        continue;
      }
      if (bucket !== undefined && !(await admit(bucket, flush, signal))) break;
      pending.push(item.event);
      if (pending.length >= batchSize) await flush();
    }
  } catch (error) {
    if (signal?.aborted !== true) throw error; // a stream destroyed by the abort ends with an error: expected
  } finally {
    signal?.removeEventListener('abort', stopReading);
  }
  await flush();
  return { sent, batches, rejectedRows: report.summary(), aborted: signal?.aborted === true };
}

/** Waits for a token, flushing what is pending before each pause. False when aborted meanwhile. */
async function admit(
  bucket: TokenBucket,
  flush: () => Promise<void>,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  for (let wait = bucket.take(); wait > 0; wait = bucket.take()) {
    await flush();
    await delay(Math.max(wait, MIN_PAUSE_MS), signal);
    if (signal?.aborted === true) return false;
  }
  return true;
}

/** Bursts hold at most a tenth of a second's worth of events, and never more than a batch. */
function rateLimiter(ratePerSecond: number, batchSize: number): TokenBucket {
  if (!Number.isFinite(ratePerSecond) || ratePerSecond <= 0) {
    throw new InputError('rate', `must be a positive number of events per second, got ${ratePerSecond}`);
  }
  return createTokenBucket(ratePerSecond, Math.max(1, Math.min(batchSize, Math.ceil(ratePerSecond / 10))));
}
