import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { apiTokenFile, readApiToken } from '../../composition/local/apiToken.js';
import { startLocalRuntime, type LocalRuntime } from '../../composition/local/localRuntime.js';
import { loadConfig, type Config } from '../../config/config.js';
import { InputError } from '../../core/errors.js';
import { createLogger } from '../../hosting/logger.js';
import type { CliEnv } from '../cliEnv.js';
import { println, type CliIo } from '../io.js';
import { printTable } from '../output.js';

/** The runtime's own log lines go to stderr and to `logs/runtime.log`, where `tessera logs JOB` finds them. */
function runtimeLogger(config: Config) {
  mkdirSync(join(config.home, 'logs'), { recursive: true });
  const file = join(config.home, 'logs', 'runtime.log');
  return createLogger({
    level: config.logLevel,
    sink: (line) => {
      const text = `${JSON.stringify(line)}\n`;
      process.stderr.write(text);
      appendFileSync(file, text);
    },
  });
}

function printEndpoints(io: CliIo, config: Config, url: string): void {
  const token = readApiToken(config.home) ?? '';
  println(io, `tessera runtime up: ${config.workers} workers over ${config.home}. Ctrl-C to stop.`);
  println(io);
  printTable(
    io,
    ['ENDPOINT', 'URL', 'NOTE'],
    [
      ['dashboard', `${url}/login?token=${token}`, `signs this browser in, then ${url}/`],
      ['API', `${url}/api`, `Authorization: Bearer <${apiTokenFile(config.home)}>; OpenAPI at ${url}/api/openapi.json`],
      ['metrics', `${url}/metrics`, 'Prometheus text'],
      [
        'readings',
        `POST ${url}/events`,
        `or "tessera send FILE"; closed windows scored on "${config.scoreCron}" (UTC)`,
      ],
    ],
  );
  println(io);
  println(io, 'Drop files with "tessera submit FILE"; "tessera status" lists the jobs.');
}

/**
 * Resolves on the first Ctrl-C (or SIGTERM) once the runtime has drained, or with the reason when a
 * pool gave up (a worker dying as soon as it starts, again and again); a second Ctrl-C kills the workers.
 */
function untilStopped(io: CliIo, runtime: LocalRuntime): Promise<'stopped' | Error> {
  return new Promise<'stopped' | Error>((resolve) => {
    void runtime.failed.then(async (reason) => {
      await runtime.stop();
      resolve(reason);
    });
    let signals = 0;
    const onSignal = () => {
      signals += 1;
      if (signals === 1) {
        println(io, 'draining: finishing the work in hand (Ctrl-C again to force)…');
        void runtime.stop().then(() => resolve('stopped'));
        return;
      }
      for (const pid of runtime.workers.pids()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      process.exit(130);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

export function registerUpCommand(program: Command, env: CliEnv): void {
  program
    .command('up')
    .description(
      'run the embedded runtime (inbox watcher, workers, reconciler) and its server: dashboard, API, metrics, readings; Ctrl-C drains; a damaged database stops it before it starts, workers that keep dying stop it with the reason (exit 1)',
    )
    .option('--workers <n>', 'worker processes (default: TESSERA_WORKERS)')
    .option('--port <port>', 'loopback port of the server (default: TESSERA_PORT, 7433)')
    .action(async (flags: { workers?: string; port?: string }) => {
      const base = env.options.env ?? process.env;
      const config = loadConfig({
        ...base,
        ...(flags.workers === undefined ? {} : { TESSERA_WORKERS: flags.workers }),
        ...(flags.port === undefined ? {} : { TESSERA_PORT: flags.port }),
      });
      const runtime = await startLocalRuntime(config, runtimeLogger(config), { serve: { port: config.port } }).catch(
        (error: unknown) => {
          if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE')
            throw new InputError(
              'TESSERA_PORT',
              `port ${config.port} is in use (another "tessera up"?): set TESSERA_PORT or --port`,
            );
          throw error;
        },
      );
      // Ctrl-C is handled before the banner says the runtime is up: one that came while the
      // endpoints were still printing found no handler and killed the process undrained.
      const stopped = untilStopped(env.io, runtime);
      printEndpoints(env.io, config, runtime.serverUrl ?? runtime.ingestUrl);
      const ended = await stopped;
      if (ended !== 'stopped') {
        env.io.err.write(`tessera up: stopped: ${ended.message}\n`);
        env.exitCode = 1;
      }
    });
}
