import { loadConfig } from '../../config/config.js';
import { startLocalRuntime } from '../../composition/local/localRuntime.js';
import { createLogger } from '../../hosting/logger.js';
import { parseCommandArgs } from '../args.js';
import { println, type CliIo } from '../io.js';

/**
 * `tessera up [--workers N]`: runs the embedded runtime until Ctrl-C, then drains gracefully. A
 * damaged database stops it before it starts; workers that keep dying stop it with the reason (exit 1).
 */
export async function upCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs('up', args, { workers: { type: 'string' } });
  const config = loadConfig(values.workers ? { ...process.env, TESSERA_WORKERS: values.workers } : process.env);
  const log = createLogger({ level: config.logLevel });
  const runtime = await startLocalRuntime(config, log);
  println(
    io,
    `tessera runtime up: ${config.workers} workers over ${config.home}; drop files into the inbox with "tessera submit FILE". Ctrl-C to stop.`,
  );
  println(
    io,
    `  sensor readings: POST ${runtime.ingestUrl}/events, or "tessera send FILE"; closed windows are scored on "${config.scoreCron}" (UTC)`,
  );
  const ended = await new Promise<'stopped' | Error>((resolve) => {
    // A pool that gave up (a worker dying as soon as it starts, again and again) ends the runtime.
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
      } else {
        for (const pid of runtime.workers.pids()) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* already gone */
          }
        }
        process.exit(130);
      }
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  if (ended === 'stopped') return 0;
  io.err.write(`tessera up: stopped: ${ended.message}\n`);
  return 1;
}
