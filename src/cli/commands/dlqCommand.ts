import { Option, type Command } from 'commander';
import { InputError } from '../../core/errors.js';
import { parseEventRef } from '../../usecases/stream/eventDeadLetters.js';
import { apiOptions, formatOf, type CliEnv } from '../cliEnv.js';
import { println } from '../io.js';
import { printJson, printTable } from '../output.js';

type Flags = { remote?: string; output?: string; json?: boolean; queue: string };

function sequenceNumbers(values: readonly string[]): number[] {
  return values.map((p) => {
    const n = Number(p);
    if (!Number.isInteger(n) || n < 0) throw new InputError(p, 'not a sequence number');
    return n;
  });
}

const queueOption = () =>
  new Option('--queue <queue>', 'which queue: jobs, or on Azure control').choices(['jobs', 'control']).default('jobs');

export function registerDlqCommand(program: Command, env: CliEnv): void {
  const dlq = program
    .command('dlq')
    .description('dead letters: messages that failed for good, and refused stream events');

  apiOptions(dlq.command('list'))
    .description("the queue's dead letters, in sequence order")
    .addOption(queueOption())
    .action(async (flags: Flags) => {
      const letters = await (await env.api(flags.remote)).client.deadLetters(flags.queue);
      if (formatOf(flags) === 'json') return printJson(env.io, { queue: flags.queue, messages: letters });
      if (letters.length === 0) return println(env.io, 'the dead-letter queue is empty');
      printTable(
        env.io,
        ['SEQ', 'DEAD-LETTERED', 'MESSAGE', 'REASON'],
        letters.map((m) => [
          String(m.sequenceNumber),
          m.deadLetteredAt,
          m.messageId,
          `${m.reason}: ${m.description.slice(0, 160)}`,
        ]),
      );
    });

  apiOptions(dlq.command('show'))
    .description('one dead letter, with its body, as JSON')
    .argument('<seq>', 'its sequence number')
    .addOption(queueOption())
    .action(async (seq: string, flags: Flags) => {
      const [n] = sequenceNumbers([seq]);
      const letters = await (await env.api(flags.remote)).client.deadLetters(flags.queue);
      const letter = letters.find((m) => m.sequenceNumber === n);
      if (!letter) throw new InputError(seq, 'no such dead-lettered message');
      printJson(env.io, letter);
    });

  apiOptions(dlq.command('redrive'))
    .description(
      'send dead letters back once their cause is fixed; their shards and jobs go back to pending and running',
    )
    .argument('[seq...]', 'sequence numbers')
    .option('--all', 'all of them')
    .addOption(queueOption())
    .action(async (seqs: string[], flags: Flags & { all?: boolean }) => {
      if (seqs.length === 0 && !flags.all)
        throw new InputError('tessera dlq redrive', 'give sequence numbers, or --all');
      if (seqs.length > 0 && flags.all)
        throw new InputError('tessera dlq redrive', 'give sequence numbers or --all, not both');
      const { client } = await env.api(flags.remote);
      const moved = await client.redrive(flags.queue, flags.all ? 'all' : sequenceNumbers(seqs));
      if (formatOf(flags) === 'json') printJson(env.io, { queue: flags.queue, redriven: moved });
      else println(env.io, `${moved} message(s) returned to the queue`);
    });

  const events = dlq.command('events').description('stream events the aggregator refused (invalid readings)');
  apiOptions(events.command('list', { isDefault: true }))
    .description('the refused events with their reasons')
    .action(async (flags: Omit<Flags, 'queue'>) => {
      const dead = await (await env.api(flags.remote)).client.deadEvents();
      if (formatOf(flags) === 'json') return printJson(env.io, { events: dead });
      if (dead.length === 0) return println(env.io, 'no dead-lettered events');
      printTable(
        env.io,
        ['EVENT', 'ENQUEUED', 'REASONS'],
        dead.map((e) => [
          `${e.partition}:${e.sequenceNumber}`,
          e.enqueuedTime,
          e.rejects
            .map((r) => `${r.reason}${r.index === null ? '' : ` (reading ${r.index})`}: ${r.detail}`)
            .join('; ')
            .slice(0, 200),
        ]),
      );
    });
  apiOptions(events.command('show'))
    .description('one refused event, with its body, as JSON')
    .argument('<ref>', 'PARTITION:SEQUENCE')
    .action(async (ref: string, flags: Omit<Flags, 'queue'>) => {
      const { partition, sequenceNumber } = parseEventRef(ref);
      const dead = await (await env.api(flags.remote)).client.deadEvents();
      const found = dead.find((e) => e.partition === partition && e.sequenceNumber === sequenceNumber);
      if (!found) throw new InputError(ref, 'no such dead-lettered event');
      printJson(env.io, found);
    });
  apiOptions(events.command('redrive'))
    .description('append refused events to the event log again')
    .argument('[ref...]', 'PARTITION:SEQUENCE references')
    .option('--all', 'all of them')
    .action(async (refs: string[], flags: Omit<Flags, 'queue'> & { all?: boolean }) => {
      if (refs.length === 0 && !flags.all)
        throw new InputError('tessera dlq events redrive', 'give PARTITION:SEQUENCE references, or --all');
      for (const r of refs) parseEventRef(r);
      const result = await (await env.api(flags.remote)).client.redriveEvents(flags.all ? 'all' : refs);
      if (formatOf(flags) === 'json') printJson(env.io, result);
      else {
        println(env.io, `${result.redriven} event(s) appended again`);
        for (const r of result.refused) println(env.io, `  refused ${r}`);
      }
      env.exitCode = result.refused.length === 0 ? 0 : 1;
    });
}
