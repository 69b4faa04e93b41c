import { CommanderError } from 'commander';
import { ensureError, InputError, NotFoundError, TesseraError } from '../core/errors.js';
import { createCliEnv, type CliOptions } from './cliEnv.js';
import { processIo, type CliIo } from './io.js';
import { createProgram } from './program.js';

/** Exit codes of commander's own answers: help and version asked for are 0, anything else is bad usage (2). */
function commanderExit(error: CommanderError): number {
  return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? 0 : 2;
}

/**
 * Runs one CLI command; returns the exit code: 0 success, 1 the job failed or the server refused,
 * 2 bad usage or bad input. Errors are printed (a message naming the input and the reason, never a
 * stack trace unless TESSERA_DEBUG is set), never thrown.
 */
export async function main(argv: string[], io: CliIo = processIo, options: CliOptions = {}): Promise<number> {
  const env = createCliEnv(io, options);
  const program = createProgram(env);
  if (argv.length === 0) {
    program.outputHelp();
    return 2;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return env.exitCode;
  } catch (thrown) {
    if (thrown instanceof CommanderError) return commanderExit(thrown);
    const error = ensureError(thrown);
    const command = argv.find((a) => !a.startsWith('-')) ?? '';
    io.err.write(error.message.startsWith('tessera') ? `${error.message}\n` : `tessera ${command}: ${error.message}\n`);
    if (!(error instanceof TesseraError) && (options.env ?? process.env).TESSERA_DEBUG)
      io.err.write(`${error.stack ?? ''}\n`);
    return error instanceof InputError || error instanceof NotFoundError ? 2 : 1;
  } finally {
    await env.close();
  }
}
