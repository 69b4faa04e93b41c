import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Command } from 'commander';
import type { Config } from '../../config/config.js';
import { aggregatorSettingsOf } from '../../config/useCaseSettings.js';
import { findRunningRuntime } from '../../composition/local/runtimeLock.js';
import type { LocalContext } from '../../composition/local/localContext.js';
import { InputError } from '../../core/errors.js';
import { sendEvents, type SendEventsResult } from '../../ingest/sendEvents.js';
import { deadLettersOfSent } from '../../usecases/stream/eventDeadLetters.js';
import type { CliEnv } from '../cliEnv.js';
import { println, type CliIo } from '../io.js';

type SendFlags = { rate?: string; batch?: string; backfill?: boolean; wait?: string };

/**
 * `tessera send FILE|-`: readings (CSV or JSON lines) into the local event log. What the consumer
 * would reject is not sent and is reported with its lines; with a runtime up, it then waits (default
 * 30 s; 0: not at all) for the aggregator to take the events and reports what it dead-lettered.
 * Exit 2 when anything was not accepted.
 */
export function registerSendCommand(program: Command, env: CliEnv): void {
  program
    .command('send')
    .description(
      'send readings (CSV or JSON lines) into the local event log, as devices would; exit 2 when any was not accepted',
    )
    .argument('<file>', 'a file of readings, or - for stdin')
    .option('--rate <n>', 'events per second (default: as fast as the log takes them)')
    .option('--batch <n>', 'readings per event')
    .option('--backfill', 'mark every reading as history: it keeps its own time and is held to the backfill horizon')
    .option(
      '--wait <seconds>',
      'with a runtime up, wait this long for the aggregator and report what it dead-lettered (0: do not wait)',
      '30',
    )
    .action(async (source: string, flags: SendFlags) => {
      const rate = optionalNumber('--rate', flags.rate, (n) => n > 0, 'a positive number of events per second');
      const batch = optionalNumber('--batch', flags.batch, (n) => Number.isInteger(n) && n > 0, 'a positive integer');
      const waitSeconds =
        optionalNumber('--wait', flags.wait, (n) => n >= 0 && n <= 3600, 'seconds from 0 to 3600') ?? 30;
      if (source !== '-' && !(await stat(source).catch(() => undefined))?.isFile())
        throw new InputError(source, 'no such file');
      const ctx = await env.local();
      const config = env.config();
      const backfill = flags.backfill === true;
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
          limits: aggregatorSettingsOf(config).limits,
          backfill,
        });
        const rejectedAtDoor = printSent(env.io, result, backfill);
        const deadLettered = await reportAfterwards(env.io, ctx, config, result, waitSeconds * 1000, stop.signal);
        if (rejectedAtDoor || deadLettered) env.exitCode = 2;
      } finally {
        process.removeListener('SIGINT', onSignal);
      }
    });
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
