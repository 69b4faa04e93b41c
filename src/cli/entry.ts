/**
 * The `tessera` process (bin/tessera.js): starts telemetry for the command (TESSERA_TELEMETRY, see
 * telemetry/setup.ts; off unless asked for), runs it, and flushes what was recorded before exiting.
 * `main` itself starts nothing, so tests call it in-process.
 */
import { ensureError } from '../core/errors.js';
import { startTelemetry } from '../telemetry/setup.js';
import { main } from './main.js';

export async function runCli(argv: string[]): Promise<number> {
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
