import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import type { CliEnv } from './cliEnv.js';
import { registerControlCommands } from './commands/controlCommands.js';
import { registerDemoCommand } from './commands/demoCommand.js';
import { registerDlqCommand } from './commands/dlqCommand.js';
import { registerJobCommands } from './commands/jobCommands.js';
import { registerModelsCommand } from './commands/modelsCommand.js';
import { registerSendCommand } from './commands/sendCommand.js';
import { registerStatusCommand } from './commands/statusCommand.js';
import { registerTrainCommand } from './commands/trainCommand.js';
import { registerUpCommand } from './commands/upCommand.js';
import { packageRoot } from './packageRoot.js';

const VERSION = (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;

const AFTER = `
Where commands run: on the local runtime's files under TESSERA_HOME (default ./.tessera), or on a
server with --remote URL (or TESSERA_REMOTE): "tessera up" on loopback (its token is read from
TESSERA_HOME/api.token) or the Azure Functions app (an Entra ID token for TESSERA_REMOTE_SCOPE from
the Azure credential chain). TESSERA_TOKEN sends a token as it is.

Exit codes: 0 success; 1 the job failed or the server refused; 2 bad usage or bad input (checked
before anything is uploaded). -o json prints the API's documented shapes (GET /api/openapi.json).`;

/** The `tessera` command and its subcommands; every one of them has --help. Errors are thrown, never exited on. */
export function createProgram(env: CliEnv): Command {
  const program = new Command('tessera')
    .description('event-driven batch scoring: files, schedules and streams become sharded ONNX scoring jobs')
    .version(VERSION, '-V, --version', 'print the version')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => env.io.out.write(text),
      writeErr: (text) => env.io.err.write(text),
      outputError: (text, write) => write(`tessera: ${text.replace(/^error: /, '')}`),
    })
    .showHelpAfterError('(see --help)')
    .addHelpText('after', AFTER);
  registerDemoCommand(program, env);
  registerUpCommand(program, env);
  registerJobCommands(program, env);
  registerStatusCommand(program, env);
  registerControlCommands(program, env);
  registerModelsCommand(program, env);
  registerTrainCommand(program, env);
  registerDlqCommand(program, env);
  registerSendCommand(program, env);
  return program;
}
