import type { Readable } from 'node:stream';
import { InputError } from '../core/errors.js';

/**
 * Yields the lines of a UTF-8 text stream (without their line ends), one chunk at a time,
 * so memory does not grow with the file. Binary data (NUL bytes or invalid UTF-8) is an
 * InputError naming the input and the byte offset.
 */
export async function* textLines(stream: Readable, input: string): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let carry = '';
  let offset = 0;
  for await (const raw of stream as AsyncIterable<Buffer | string>) {
    // Object-mode streams may yield strings; bytes are what the checks below are about.
    const chunk = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
    const nul = chunk.indexOf(0);
    if (nul >= 0)
      throw new InputError(input, `binary data (NUL byte at offset ${offset + nul}); expected a UTF-8 CSV file`);
    let text: string;
    try {
      text = decoder.decode(chunk, { stream: true });
    } catch {
      throw new InputError(input, `binary data (invalid UTF-8 near offset ${offset}); expected a UTF-8 CSV file`);
    }
    offset += chunk.length;
    text = carry + text;
    let start = 0;
    for (let nl = text.indexOf('\n', start); nl >= 0; nl = text.indexOf('\n', start)) {
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      yield text.slice(start, end);
      start = nl + 1;
    }
    carry = text.slice(start);
  }
  try {
    carry += decoder.decode();
  } catch {
    throw new InputError(input, 'binary data (truncated UTF-8 sequence at end of file)');
  }
  if (carry !== '') yield carry.endsWith('\r') ? carry.slice(0, -1) : carry;
}
