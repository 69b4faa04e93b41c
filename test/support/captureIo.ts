import { Writable } from 'node:stream';
import type { CliIo } from '../../src/cli/io.js';

/** A CliIo whose stdout and stderr are kept as text (stderr not a TTY: progress comes as plain lines). */
export function captureIo(): CliIo & { stdout: () => string; stderr: () => string } {
  const sink = () => {
    let text = '';
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        text += chunk.toString('utf8');
        done();
      },
    });
    return { stream, text: () => text };
  };
  const out = sink();
  const err = sink();
  return {
    out: out.stream,
    err: err.stream as unknown as NodeJS.WriteStream,
    stdout: out.text,
    stderr: err.text,
  };
}
