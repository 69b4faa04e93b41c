import { isUtf8 } from 'node:buffer';
import type { Readable } from 'node:stream';
import { InputError } from '../core/errors.js';

/** The longest line a text input may have: a longer one is not a CSV row but a broken or hostile file. */
export const MAX_LINE_BYTES = 1 << 20;

export interface LineBlockOptions {
  /** Longer lines are an InputError (default MAX_LINE_BYTES). */
  readonly maxLineBytes?: number;
  /**
   * How many lines the caller has taken from the blocks yielded so far, so that an error names the
   * line it is about (the caller splits the lines; this reader never counts them).
   */
  readonly linesBefore?: () => number;
}

/**
 * Reads a UTF-8 text stream as blocks of whole lines: each block ends just after a `\n` (the last one
 * may end without one, at the end of the stream). Each byte is looked at a bounded number of times, so a
 * file of one huge line costs what its size costs, and a line longer than `maxLineBytes` is rejected as
 * soon as that many bytes of it have arrived, naming the input and the line. Binary data (a NUL byte,
 * invalid UTF-8) is an InputError naming the input and the byte offset.
 */
export async function* lineBlocks(
  stream: Readable,
  input: string,
  options: LineBlockOptions = {},
): AsyncGenerator<Buffer> {
  const max = options.maxLineBytes ?? MAX_LINE_BYTES;
  const tooLong = (): InputError => {
    const line = options.linesBefore ? `line ${options.linesBefore() + 1}` : 'a line';
    return new InputError(input, `${line} is longer than ${describeBytes(max)}; expected a CSV file of short lines`);
  };
  // The start of a line not yet ended, as it arrived: concatenated once, when its end arrives.
  let pieces: Buffer[] = [];
  let carried = 0;
  let offset = 0;
  for await (const raw of stream as AsyncIterable<Buffer | string>) {
    // Object-mode streams may yield strings; bytes are what the checks are about.
    const chunk = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
    const nul = chunk.indexOf(0);
    if (nul >= 0)
      throw new InputError(input, `binary data (NUL byte at offset ${offset + nul}); expected a UTF-8 CSV file`);
    const last = chunk.lastIndexOf(10);
    if (last < 0) {
      carried += chunk.length;
      offset += chunk.length;
      if (carried > max) throw tooLong();
      pieces.push(chunk);
      continue;
    }
    if (carried + chunk.indexOf(10) > max) throw tooLong();
    // A long line inside one big chunk: the lines before it are yielded first, so the error names its number.
    const long = chunk.length > max ? longLineStart(chunk, max) : -1;
    const head = chunk.subarray(0, long >= 0 ? long : last + 1);
    const block = pieces.length === 0 ? head : Buffer.concat([...pieces, head], carried + head.length);
    checkUtf8(block, input, offset - carried);
    offset += chunk.length;
    const tail = chunk.subarray(last + 1);
    pieces = tail.length > 0 ? [tail] : [];
    carried = tail.length;
    if (block.length > 0) yield block;
    if (long >= 0 || carried > max) throw tooLong();
  }
  if (carried === 0) return;
  const block = Buffer.concat(pieces, carried);
  checkUtf8(block, input, offset - carried, true);
  yield block;
}

/** Where the first line longer than `max` starts in one big chunk (after its first newline), or -1. */
function longLineStart(chunk: Buffer, max: number): number {
  let start = chunk.indexOf(10) + 1;
  for (let nl = chunk.indexOf(10, start); start < chunk.length; nl = chunk.indexOf(10, start)) {
    if ((nl < 0 ? chunk.length : nl) - start > max) return start;
    if (nl < 0) return -1;
    start = nl + 1;
  }
  return -1;
}

function checkUtf8(block: Buffer, input: string, offset: number, atEnd = false): void {
  if (isUtf8(block)) return;
  // Only on the failure path: say whether the file merely ends inside a character.
  const decoder = new TextDecoder('utf-8', { fatal: true });
  try {
    decoder.decode(block, { stream: true });
  } catch {
    throw new InputError(input, `binary data (invalid UTF-8 near offset ${offset}); expected a UTF-8 CSV file`);
  }
  if (atEnd) throw new InputError(input, 'binary data (truncated UTF-8 sequence at end of file)');
  throw new InputError(input, `binary data (invalid UTF-8 near offset ${offset}); expected a UTF-8 CSV file`);
}

function describeBytes(n: number): string {
  if (n % (1 << 20) === 0) return `${n / (1 << 20)} MiB`;
  if (n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}
