import { ensureError, InputError, NotFoundError, TesseraError } from '../core/errors.js';
import { demoCommand } from './commands/demo.js';
import { dlqCommand } from './commands/dlq.js';
import { resultsCommand, runCommand, statusCommand, submitCommand } from './commands/jobs.js';
import { modelsCommand } from './commands/models.js';
import { trainCommand } from './commands/train.js';
import { upCommand } from './commands/up.js';
import { sendCommand } from './commands/send.js';
import { processIo, type CliIo } from './io.js';

const USAGE = `tessera — event-driven batch scoring

  tessera demo [DIR]                       train sample models, score the sample readings, results in DIR
  tessera demo video [DIR]                 style a generated test clip with the built-in toon model
  tessera up [--workers N]                 run the embedded runtime (inbox watcher + workers); Ctrl-C drains
  tessera submit FILE [--no-follow]        drop FILE into the running runtime's inbox and follow its job
  tessera run FILE [--out DIR] [--model M] [--fit stretch|letterbox] [--on-shard-error fail|passthrough]
                                           one-shot: run FILE's job (a .csv of readings or a video), starting the runtime if needed
  tessera status [JOB] [--json]            list jobs, or one job's progress and report
  tessera results JOB --out DIR            download a job's result files into DIR
  tessera models add NAME FILE [--meta k=v]… [--tag T]…
  tessera models list [NAME] [--json]
  tessera models optimize REF [--tag T]…   register a standard-ops rewrite of an ai.onnx.ml SVM model
  tessera train ocsvm READINGS.csv [--nu 0.05] [--gamma scale] [--window-seconds 60] [--train-until ISO] [--tag T]…
  tessera dlq list | show SEQ | redrive SEQ… | redrive --all      (the work queue)
  tessera dlq events [list] | events show P:SEQ | events redrive P:SEQ…|--all   (invalid stream events)
  tessera send FILE|- [--rate N] [--batch N]   readings (CSV or JSON lines) into the local event log

State lives under TESSERA_HOME (default ./.tessera).`;

const COMMANDS: Record<string, (args: string[], io: CliIo) => Promise<number>> = {
  demo: demoCommand,
  up: upCommand,
  submit: submitCommand,
  run: runCommand,
  status: statusCommand,
  results: resultsCommand,
  models: modelsCommand,
  train: trainCommand,
  dlq: dlqCommand,
  send: sendCommand,
};

/** Runs one CLI command; returns the exit code. Errors are printed, never thrown. */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const [command, ...args] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    io.out.write(`${USAGE}\n`);
    return command === undefined ? 2 : 0;
  }
  const run = COMMANDS[command];
  if (!run) {
    io.err.write(`tessera: unknown command "${command}"\n\n${USAGE}\n`);
    return 2;
  }
  try {
    return await run(args, io);
  } catch (thrown) {
    const error = ensureError(thrown);
    io.err.write(
      error.message.startsWith('tessera ') ? `${error.message}\n` : `tessera ${command}: ${error.message}\n`,
    );
    if (!(error instanceof TesseraError) && process.env.TESSERA_DEBUG) io.err.write(`${error.stack ?? ''}\n`);
    return error instanceof InputError || error instanceof NotFoundError ? 2 : 1;
  }
}
