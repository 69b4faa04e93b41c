import { delay } from '../lib/delay.js';
import type { Readable } from 'node:stream';
import { InputError, positiveInteger } from '../core/errors.js';
import { RowErrorReport, type RowErrorSummary } from '../core/rowErrors.js';
import { decodeReadings, type DecodeLimits } from '../core/stream/readingSchema.js';
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
  /** The consumer's decoding limits: what they would reject is not sent, and is reported instead. */
  readonly limits: Omit<DecodeLimits, 'nowMs'>;
  /** Marks every reading `"backfill": true`: history, held to the backfill horizon (see readingTypes.ts). */
  readonly backfill?: boolean;
  /** The clock the time limits are judged by; default Date.now. */
  readonly now?: () => number;
}

/** The sequence numbers a send appended to one partition (its events are all in between, with others'). */
export interface SentRange {
  readonly partition: number;
  readonly first: number;
  readonly last: number;
}

export interface SendEventsResult {
  /** Events appended. */
  readonly sent: number;
  /** Append calls made (each one batch, in one partition). */
  readonly batches: number;
  /**
   * Data lines read, and what was not sent by reason with its first line numbers: malformed CSV rows,
   * and messages the consumer would reject (each bad reading of a JSON batch line counts).
   */
  readonly rejectedRows: RowErrorSummary;
  /** Per partition written to, the first and last sequence numbers appended. */
  readonly ranges: readonly SentRange[];
  readonly aborted: boolean;
}

const DEFAULT_BATCH = 100;
/** Shortest pause when rate-limited: a few milliseconds' worth of tokens go out together. */
const MIN_PAUSE_MS = 10;

/**
 * The engine of `tessera send`: reads readings from a stream, turns them into events (see
 * readingsCsvToEvents), checks each as the consumer will (`decodeReadings` with the same limits, so
 * what would only be dead-lettered later is reported now and not sent), and appends the good ones
 * with the device id as partition key, so each device's events stay in one partition in input order.
 * Rows are gathered into batches of `batchSize`; a batch goes out as one append per device in it.
 * With a rate, pending events are flushed before every pause.
 */
export async function sendEvents(options: SendEventsOptions): Promise<SendEventsResult> {
  const { log, input, inputName, signal } = options;
  const batchSize = positiveInteger('batch size', options.batchSize ?? DEFAULT_BATCH);
  const bucket = options.ratePerSecond === undefined ? undefined : rateLimiter(options.ratePerSecond, batchSize);
  const report = new RowErrorReport();
  const now = options.now ?? Date.now;
  const ranges = new Map<number, { first: number; last: number }>();
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
      const records = await log.append(key, events);
      for (const r of records) {
        const range = ranges.get(r.partition);
        if (range === undefined) ranges.set(r.partition, { first: r.sequenceNumber, last: r.sequenceNumber });
        else range.last = Math.max(range.last, r.sequenceNumber);
      }
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
    for await (const item of readingsCsvToEvents(input, inputName, options.backfill)) {
      if (signal?.aborted === true) break;
      report.countRow();
      if (!item.ok) {
        report.reject(item.line, item.reason, item.detail);
        continue;
      }
      const event = checked(item.event, options.limits, now(), report);
      if (event === undefined) continue;
      if (bucket !== undefined && !(await admit(bucket, flush, signal))) break;
      pending.push(event);
      if (pending.length >= batchSize) await flush();
    }
  } catch (error) {
    if (signal?.aborted !== true) throw error; // a stream destroyed by the abort ends with an error: expected
  } finally {
    signal?.removeEventListener('abort', stopReading);
  }
  await flush();
  return {
    sent,
    batches,
    rejectedRows: report.summary(),
    ranges: [...ranges].sort((a, b) => a[0] - b[0]).map(([partition, r]) => ({ partition, ...r })),
    aborted: signal?.aborted === true,
  };
}

/** The event keyed by its first reading's device when the consumer would accept all of it; else its rejects go to the report. */
function checked(
  event: DraftEvent,
  limits: Omit<DecodeLimits, 'nowMs'>,
  nowMs: number,
  report: RowErrorReport,
): DraftEvent | undefined {
  const decoded = decodeReadings(event.body, { ...limits, nowMs });
  for (const r of decoded.rejects)
    report.reject(event.line, r.reason, r.index !== null && r.index > 0 ? `reading ${r.index}: ${r.detail}` : r.detail);
  const first = decoded.readings[0];
  if (decoded.rejects.length > 0 || first === undefined) return undefined;
  return first.deviceId === event.partitionKey ? event : { ...event, partitionKey: first.deviceId };
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
