import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { InputError } from '../../core/errors.js';
import { sendEvents } from '../../ingest/sendEvents.js';
import { parseCommandArgs, requirePositional } from '../args.js';
import { withLocalContext } from '../context.js';
import { println, type CliIo } from '../io.js';

/** `tessera send FILE|- [--rate N] [--batch N]`: readings (CSV or JSON lines) into the local event log. */
export async function sendCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('send', args, {
    rate: { type: 'string' },
    batch: { type: 'string' },
  });
  const source = requirePositional('send', positionals, 0, 'FILE (or - for stdin)');
  const rate = values.rate === undefined ? undefined : Number(values.rate);
  if (rate !== undefined && !(rate > 0))
    throw new InputError('--rate', `must be a positive number of events per second, got "${values.rate}"`);
  const batch = values.batch === undefined ? undefined : Number(values.batch);
  if (batch !== undefined && !(Number.isInteger(batch) && batch > 0))
    throw new InputError('--batch', `must be a positive integer, got "${values.batch}"`);
  if (source !== '-' && !(await stat(source).catch(() => undefined))?.isFile())
    throw new InputError(source, 'no such file');
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  try {
    const result = await withLocalContext((ctx) =>
      sendEvents({
        log: ctx.aggregate.events,
        input: source === '-' ? process.stdin : createReadStream(source),
        inputName: source === '-' ? 'stdin' : source,
        ratePerSecond: rate,
        batchSize: batch,
        signal: stop.signal,
      }),
    );
    println(io, `sent ${result.sent} events in ${result.batches} appends${result.aborted ? ' (interrupted)' : ''}`);
    for (const [reason, e] of Object.entries(result.rejectedRows.byReason))
      println(io, `  not sent: ${reason}: ${e.count} (first at line ${e.firstRows.join(', ')})`);
    return 0;
  } finally {
    process.removeListener('SIGINT', onSignal);
  }
}
