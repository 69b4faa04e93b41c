import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MAX_LINE_BYTES } from '../../src/lib/lineBlocks.js';
import { textLines } from '../../src/lib/textLines.js';

async function lines(chunks: (string | Buffer)[], maxLineBytes?: number): Promise<string[]> {
  const out: string[] = [];
  for await (const line of textLines(Readable.from(chunks), 'in.csv', { maxLineBytes })) out.push(line);
  return out;
}

/** A lazy stream of one line of `total` bytes in `size`-byte chunks, counting what was pulled. */
function hugeLine(total: number, size: number): { stream: Readable; pulled: () => number } {
  let pulled = 0;
  const chunk = Buffer.alloc(size, 0x61);
  const stream = Readable.from(
    (function* () {
      yield Buffer.from('TS,Device,Tag,Value\n');
      while (pulled < total) {
        pulled += size;
        yield chunk;
      }
      yield Buffer.from('\n');
    })(),
  );
  return { stream, pulled: () => pulled };
}

describe('textLines', () => {
  it('splits lines across chunks, strips CR, keeps empty lines and a last line without an end', async () => {
    expect(await lines(['a,b\r\nc', 'd\n\n', 'e\r'])).toEqual(['a,b', 'cd', '', 'e']);
    expect(await lines(['x\n'])).toEqual(['x']);
    expect(await lines([])).toEqual([]);
  });

  it('keeps a character split between chunks', async () => {
    const bytes = Buffer.from('é,ü\n');
    expect(await lines([bytes.subarray(0, 1), bytes.subarray(1, 4), bytes.subarray(4)])).toEqual(['é,ü']);
  });

  it('rejects binary data naming the input and the offset', async () => {
    await expect(lines(['ab\n', Buffer.from([0x63, 0])])).rejects.toThrow(
      /in\.csv: binary data \(NUL byte at offset 4\)/,
    );
    await expect(lines([Buffer.from([0x61, 0x0a, 0xff, 0xfe, 0x0a])])).rejects.toThrow(
      /in\.csv: binary data \(invalid UTF-8/,
    );
    await expect(lines([Buffer.from([0x61, 0x0a, 0xc3])])).rejects.toThrow(/truncated UTF-8 sequence at end of file/);
  });

  it('rejects a line longer than the limit, naming the input and the line', async () => {
    await expect(lines(['ok\n', 'abcdef', 'ghij\n'], 8)).rejects.toThrow('in.csv: line 2 is longer than 8 bytes');
    await expect(lines(['ok\nabcdefghij'], 8)).rejects.toThrow('in.csv: line 2 is longer than 8 bytes');
    // One big chunk with the long line in its middle.
    await expect(lines([`a\nb\n${'x'.repeat(20)}\nc\n`], 8)).rejects.toThrow('in.csv: line 3 is longer than 8 bytes');
    expect(await lines(['12345678\n', '1234', '5678'], 8)).toEqual(['12345678', '12345678']);
  });

  it('rejects a 100 MB line after reading little more than the limit', async () => {
    const { stream, pulled } = hugeLine(100 << 20, 65_536);
    const read = async () => {
      for await (const line of textLines(stream, 'huge.csv')) void line;
    };
    await expect(read()).rejects.toThrow('huge.csv: line 2 is longer than 1 MiB');
    expect(pulled()).toBeLessThanOrEqual(MAX_LINE_BYTES + 2 * 65_536);
  });
});
