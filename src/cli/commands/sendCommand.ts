import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { InputError } from '../../core/errors.js';
import { sendEvents } from '../../ingest/sendEvents.js';
import type { CliEnv } from '../cliEnv.js';
import { println } from '../io.js';

export function registerSendCommand(program: Command, env: CliEnv): void {
  program
    .command('send')
    .description('send readings (CSV or JSON lines) into the local event log, as devices would')
    .argument('<file>', 'a file of readings, or - for stdin')
    .option('--rate <n>', 'events per second (default: as fast as the log takes them)')
    .option('--batch <n>', 'readings per event')
    .action(async (source: string, flags: { rate?: string; batch?: string }) => {
      const rate = flags.rate === undefined ? undefined : Number(flags.rate);
      if (rate !== undefined && !(rate > 0))
        throw new InputError('--rate', `must be a positive number of events per second, got "${flags.rate}"`);
      const batch = flags.batch === undefined ? undefined : Number(flags.batch);
      if (batch !== undefined && !(Number.isInteger(batch) && batch > 0))
        throw new InputError('--batch', `must be a positive integer, got "${flags.batch}"`);
      if (source !== '-' && !(await stat(source).catch(() => undefined))?.isFile())
        throw new InputError(source, 'no such file');
      const ctx = await env.local();
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      try {
        const result = await sendEvents({
          log: ctx.aggregate.events,
          input: source === '-' ? process.stdin : createReadStream(source),
          inputName: source === '-' ? 'stdin' : source,
          ratePerSecond: rate,
          batchSize: batch,
          signal: stop.signal,
        });
        println(
          env.io,
          `sent ${result.sent} events in ${result.batches} appends${result.aborted ? ' (interrupted)' : ''}`,
        );
        for (const [reason, e] of Object.entries(result.rejectedRows.byReason))
          println(env.io, `  not sent: ${reason}: ${e.count} (first at line ${e.firstRows.join(', ')})`);
      } finally {
        process.removeListener('SIGINT', onSignal);
      }
    });
}
