import type { Readable } from 'node:stream';
import { lineBlocks, type LineBlockOptions } from './lineBlocks.js';

/**
 * Yields the lines of a UTF-8 text stream (without their line ends), one block of whole lines at a
 * time, so memory does not grow with the file and no byte is scanned twice. Binary data (NUL bytes
 * or invalid UTF-8) and a line longer than `maxLineBytes` (1 MiB by default) are an InputError naming
 * the input and the byte offset or line (lineBlocks.ts).
 */
export async function* textLines(
  stream: Readable,
  input: string,
  options: Pick<LineBlockOptions, 'maxLineBytes'> = {},
): AsyncGenerator<string> {
  let lines = 0;
  for await (const block of lineBlocks(stream, input, { ...options, linesBefore: () => lines })) {
    const text = block.toString('utf8');
    let start = 0;
    while (start < text.length) {
      let nl = text.indexOf('\n', start);
      if (nl < 0) nl = text.length;
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      lines += 1;
      yield text.slice(start, end);
      start = nl + 1;
    }
  }
}
