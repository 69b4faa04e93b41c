import type { PartitionAggregator } from './aggregator.js';
import type { EventPosition, StreamReject } from './aggregatorTypes.js';
import { decodeReadings } from './readingSchema.js';
import type { DecodeLimits, DecodedReadings, ReadingReject } from './readingTypes.js';

/** An event as the aggregation step reads it: its place in the log and its body. */
export interface BodyRecord extends EventPosition {
  readonly body: string;
}

/** A record that had readings rejected: by the decoder, or by the aggregator as too late. */
export interface RejectedRecord<R extends BodyRecord> {
  readonly record: R;
  /** Each with its index in the message (null: the whole message). */
  readonly rejects: readonly ReadingReject[];
}

/**
 * Records decoded ahead of the aggregator at a time. Decoding a run of bodies and then aggregating
 * their readings is about a tenth faster than alternating body by body (the ingest bench: 946 ms
 * against 1057 ms of CPU for a million readings), as each loop keeps its own code and data warm.
 * What is held in between is the readings of at most this many records.
 */
const DECODE_AHEAD = 64;

/**
 * Decodes each record's body (`decodeReadings`, with `limits` for every record) and feeds its
 * readings to `aggregator` in record order. Returns the records that had readings rejected, in
 * order, with their rejects; the aggregation step dead-letters those. The good readings of a record
 * with rejects are aggregated all the same.
 */
export function aggregateRecords<R extends BodyRecord>(
  aggregator: PartitionAggregator,
  records: readonly R[],
  limits: DecodeLimits,
): RejectedRecord<R>[] {
  const rejected: RejectedRecord<R>[] = [];
  const decoded: DecodedReadings[] = [];
  const late: StreamReject[] = [];
  for (let from = 0; from < records.length; from += DECODE_AHEAD) {
    const to = Math.min(records.length, from + DECODE_AHEAD);
    for (let i = from; i < to; i++) decoded[i - from] = decodeReadings((records[i] as R).body, limits);
    for (let i = from; i < to; i++) {
      const record = records[i] as R;
      const d = decoded[i - from] as DecodedReadings;
      late.length = 0;
      aggregator.process(record, d.readings, late);
      const rejects = late.length === 0 ? d.rejects : withLate(d.rejects, late);
      if (rejects.length > 0) rejected.push({ record, rejects });
    }
  }
  return rejected;
}

/**
 * The decoder's rejects and the aggregator's (too late), each with its index in the message: the
 * aggregator counts among the readings the decoder kept, which skip the indexes it rejected.
 */
function withLate(decoded: readonly ReadingReject[], late: readonly StreamReject[]): ReadingReject[] {
  const skipped = new Set(decoded.map((r) => r.index));
  const out: ReadingReject[] = [...decoded];
  let index = -1;
  let kept = -1;
  for (const reject of late) {
    while (kept < reject.index) if (!skipped.has(++index)) kept += 1;
    out.push({ ...reject, index });
  }
  return out;
}
