/**
 * The reading message format, version `tessera.reading/v1`. A message body (UTF-8 JSON) is either
 * one reading or a batch:
 *
 *   { "schema"?: "tessera.reading/v1", "id"?: "…", "deviceId": "7", "tag": "4",
 *     "ts": "2018-08-28T23:00:05Z" | 1535497205000, "value": 84.53, "properties"?: { "k": "v" },
 *     "backfill"?: true }
 *   { "schema": "tessera.reading/v1", "readings": [ reading, … ] }
 *
 * `ts` is ISO 8601 (no zone = UTC, as in the sensor files) or integer epoch milliseconds. `id` is the
 * producer's event id, unique per device: a reading whose id was seen recently is a duplicate.
 * `backfill: true` marks a historical reading sent late on purpose (a replay, a backfill, seed data):
 * it is held to the backfill horizon (`maxBackfillPastMs`) instead of `maxPastMs`, and the aggregator
 * never re-times it (too late for its device, it is dropped and reported instead).
 * Unknown fields are ignored (a tolerant reader), so producers may add fields within v1.
 * The decoder is `decodeReadings` (`readingSchema.ts`); the JSON Schema document is in `readingJsonSchema.ts`.
 */
export const READING_SCHEMA_V1 = 'tessera.reading/v1';

/** A validated reading. Every field is always present (one object shape on the hot path). */
export interface StreamReading {
  /** The producer's event id, or undefined when it sent none. */
  readonly id: string | undefined;
  readonly deviceId: string;
  readonly tag: string;
  /** Event time, epoch milliseconds (UTC). */
  readonly ts: number;
  /** Finite. */
  readonly value: number;
  readonly properties: Readonly<Record<string, string | number | boolean>> | undefined;
  /** Sent as history (`"backfill": true`): held to the backfill horizon, never re-timed. */
  readonly backfill: boolean;
}

/** Why a message or a reading was rejected. Stable strings: they key the dead-letter store and counters. */
export type RejectReason =
  | 'oversized message'
  | 'malformed json'
  | 'not an object'
  | 'unknown schema version'
  | 'missing field'
  | 'wrong type'
  | 'invalid device or tag'
  | 'non-finite value'
  | 'unparseable timestamp'
  | 'timestamp too far in the future'
  | 'timestamp too far in the past'
  /** Not the decoder's: the aggregator's, for a reading its device's watermark had passed (`StreamReject`). */
  | 'too late';

export interface ReadingReject {
  /** null: the whole message (size, JSON, envelope); otherwise the reading's position (0 for the single form). */
  readonly index: number | null;
  readonly reason: RejectReason;
  readonly detail: string;
}

export interface DecodeLimits {
  /** Body size limit in UTF-8 bytes; a larger body is rejected unparsed. Default 1 MiB (Event Hubs' limit). */
  readonly maxBytes?: number;
  /** How far past `nowMs` an event time may be. Default 5 minutes (producer clock skew). */
  readonly maxFutureMs?: number;
  /** How far before `nowMs` an event time may be. Default 7 days (Event Hubs' longest standard retention). */
  readonly maxPastMs?: number;
  /** The same for a reading marked `backfill`. Default 20 years. */
  readonly maxBackfillPastMs?: number;
  /** The clock the time limits are measured from (the caller's; the core never reads one). */
  readonly nowMs: number;
}

export const DEFAULT_MAX_BYTES = 1_048_576;
export const DEFAULT_MAX_FUTURE_MS = 5 * 60_000;
export const DEFAULT_MAX_PAST_MS = 7 * 86_400_000;
export const DEFAULT_MAX_BACKFILL_PAST_MS = 20 * 365 * 86_400_000;

export interface DecodedReadings {
  readonly readings: StreamReading[];
  /** Empty (a shared, frozen array) when nothing was rejected. */
  readonly rejects: readonly ReadingReject[];
}
