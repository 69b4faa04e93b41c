import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Config } from '../../config/config.js';
import { aggregatorSettingsOf } from '../../config/useCaseSettings.js';
import { findRunningRuntime } from '../../composition/local/runtimeLock.js';
import type { LocalContext } from '../../composition/local/localContext.js';
import { InputError } from '../../core/errors.js';
import { sendEvents, type SendEventsResult } from '../../ingest/sendEvents.js';
import { deadLettersOfSent } from '../../usecases/stream/eventDeadLetters.js';
import { parseCommandArgs, requirePositional } from '../args.js';
import { withLocalContext } from '../context.js';
import { println, type CliIo } from '../io.js';

/**
 * `tessera send FILE|- [--rate N] [--batch N] [--backfill] [--wait SECONDS]`: readings (CSV or JSON
 * lines) into the local event log. What the consumer would reject is not sent and is reported with
 * its lines; with a runtime up, it then waits (default 30 s; 0: not at all) for the aggregator to
 * take the events and reports what it dead-lettered. Exit 2 when anything was not accepted.
 */
export async function sendCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('send', args, {
    rate: { type: 'string' },
    batch: { type: 'string' },
    backfill: { type: 'boolean' },
    wait: { type: 'string' },
  });
  const source = requirePositional('send', positionals, 0, 'FILE (or - for stdin)');
  const rate = optionalNumber('--rate', values.rate, (n) => n > 0, 'a positive number of events per second');
  const batch = optionalNumber('--batch', values.batch, (n) => Number.isInteger(n) && n > 0, 'a positive integer');
  const waitSeconds = optionalNumber('--wait', values.wait, (n) => n >= 0 && n <= 3600, 'seconds from 0 to 3600') ?? 30;
  if (source !== '-' && !(await stat(source).catch(() => undefined))?.isFile())
    throw new InputError(source, 'no such file');
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  try {
    return await withLocalContext(async (ctx, config) => {
      const result = await sendEvents({
        log: ctx.aggregate.events,
        input: source === '-' ? process.stdin : createReadStream(source),
        inputName: source === '-' ? 'stdin' : source,
        ratePerSecond: rate,
        batchSize: batch,
        signal: stop.signal,
        limits: aggregatorSettingsOf(config).limits,
        backfill: values.backfill === true,
      });
      const rejectedAtDoor = printSent(io, result, values.backfill === true);
      const deadLettered = await reportAfterwards(io, ctx, config, result, waitSeconds * 1000, stop.signal);
      return rejectedAtDoor || deadLettered ? 2 : 0;
    });
  } finally {
    process.removeListener('SIGINT', onSignal);
  }
}

function optionalNumber(flag: string, raw: string | undefined, ok: (n: number) => boolean, what: string) {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !ok(n)) throw new InputError(flag, `must be ${what}, got "${raw}"`);
  return n;
}

/** Prints what was sent and what was not, and why; true when something was not sent. */
function printSent(io: CliIo, result: SendEventsResult, backfill: boolean): boolean {
  println(
    io,
    `sent ${result.sent} events in ${result.batches} appends${backfill ? ' (marked backfill)' : ''}${result.aborted ? ' (interrupted)' : ''}`,
  );
  const reasons = Object.entries(result.rejectedRows.byReason);
  for (const [reason, e] of reasons) {
    println(io, `  not sent: ${reason}: ${e.count} (first at line ${e.firstRows.join(', ')})`);
    println(io, `    ${e.example}`);
  }
  if (!backfill && result.rejectedRows.byReason['timestamp too far in the past'] !== undefined)
    println(io, '  historical data (a replay, a backfill)? send it with --backfill: its readings keep their times');
  return reasons.length > 0;
}

/** With a runtime up, what its aggregator dead-lettered of what was sent; true when it did. */
async function reportAfterwards(
  io: CliIo,
  ctx: LocalContext,
  config: Config,
  result: SendEventsResult,
  waitMs: number,
  signal: AbortSignal,
): Promise<boolean> {
  if (result.ranges.length === 0 || waitMs === 0) return false;
  if (findRunningRuntime(config.home) === undefined) {
    println(
      io,
      'no runtime is running to aggregate them yet ("tessera up"); "tessera dlq events" lists what it rejects',
    );
    return false;
  }
  const { consumed, deadLettered } = await deadLettersOfSent(ctx.aggregate, result.ranges, {
    timeoutMs: waitMs,
    signal,
  });
  const byReason = new Map<string, string[]>();
  for (const dead of deadLettered)
    for (const r of dead.rejects) {
      const refs = byReason.get(r.reason) ?? [];
      byReason.set(r.reason, [...refs, `${dead.partition}:${dead.sequenceNumber}`]);
    }
  println(
    io,
    `${consumed ? 'aggregated' : `not all aggregated within ${waitMs / 1000} s`}: ${deadLettered.length} event(s) dead-lettered`,
  );
  for (const [reason, refs] of byReason)
    println(io, `  ${reason}: ${refs.length} (${refs.slice(0, 5).join(', ')}; "tessera dlq events show P:SEQ")`);
  return deadLettered.length > 0;
}
