/**
 * The `tessera` process (bin/tessera.js): starts telemetry for the command (TESSERA_TELEMETRY, see
 * telemetry/setup.ts; off unless asked for), runs it, and flushes what was recorded before exiting.
 * `main` itself starts nothing, so tests call it in-process.
 */
import { ensureError } from '../core/errors.js';
import { startTelemetry } from '../telemetry/setup.js';
import { main } from './main.js';

/**
 * A reader that goes away (`tessera status | head -1`) closes stdout under us: the write fails with
 * EPIPE, which would surface as an unhandled 'error' event and a stack trace. The output is no
 * longer wanted, so the command ends there, quietly, with exit code 0 (as `git log | head` does).
 */
export function exitQuietlyOnClosedPipe(stream: NodeJS.WriteStream, exit: (code: number) => void): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') exit(0);
    else throw error;
  });
}

export async function runCli(argv: string[]): Promise<number> {
  exitQuietlyOnClosedPipe(process.stdout, (code) => process.exit(code));
  exitQuietlyOnClosedPipe(process.stderr, (code) => process.exit(code));
  let telemetry;
  try {
    telemetry = await startTelemetry({ service: 'tessera-cli', attributes: { 'tessera.command': argv[0] ?? '' } });
  } catch (error) {
    process.stderr.write(`tessera: ${ensureError(error).message}\n`);
    return 2;
  }
  try {
    return await main(argv);
  } finally {
    await telemetry.shutdown();
  }
}
