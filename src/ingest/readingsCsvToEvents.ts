import type { Readable } from 'node:stream';
import { InputError } from '../core/errors.js';
import { checkReadingsHeader, parseReadingRow, type RowErrorReason } from '../core/readings.js';
import { textLines } from '../lib/textLines.js';
import { markedBackfill, readingEventBody, readingPartitionKey } from './readingEvent.js';

/** One event to append, with the line it came from (1-based; a CSV's header is line 1). */
export interface DraftEvent {
  readonly line: number;
  readonly partitionKey: string | undefined;
  readonly body: string;
}

export type DraftItem =
  | { readonly ok: true; readonly event: DraftEvent }
  | { readonly ok: false; readonly line: number; readonly reason: RowErrorReason; readonly detail: string };

/**
 * Turns a stream of readings into event bodies, one line at a time (memory does not grow with the input).
 * - A `TS,Device,Tag,Value` CSV (header checked; a wrong one is an InputError naming the input): each
 *   valid row becomes a `tessera.reading/v1` body keyed by its device; a malformed row is yielded as
 *   rejected, with its line number and reason, and is not sent.
 * - JSON lines (the first line starts with `{` or `[`): each non-blank line is a message as it is,
 *   keyed by its `deviceId` when it has one.
 * With `backfill`, every reading is marked `"backfill": true` (a JSON line is rewritten to say so).
 * Blank lines are skipped. The caller validates the bodies (`sendEvents`).
 */
export async function* readingsCsvToEvents(
  input: Readable,
  inputName: string,
  backfill = false,
): AsyncGenerator<DraftItem> {
  let line = 0;
  let jsonLines = false;
  for await (const text of textLines(input, inputName)) {
    line += 1;
    if (line === 1) {
      jsonLines = /^\uFEFF?\s*[[{]/.test(text);
      if (!jsonLines) {
        const bad = checkReadingsHeader(text);
        if (bad !== undefined) throw new InputError(inputName, bad);
        continue;
      }
    }
    if (text.trim() === '') continue;
    if (jsonLines) {
      const raw = line === 1 ? text.replace(/^\uFEFF/, '') : text;
      const body = backfill ? markedBackfill(raw) : raw;
      yield { ok: true, event: { line, partitionKey: readingPartitionKey(body), body } };
      continue;
    }
    const row = parseReadingRow(text);
    if (!row.ok) {
      yield { ok: false, line, reason: row.reason, detail: row.detail };
      continue;
    }
    const body = readingEventBody(row.reading, backfill);
    yield { ok: true, event: { line, partitionKey: body.deviceId, body: JSON.stringify(body) } };
  }
}
