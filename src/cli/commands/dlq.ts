import { InputError } from '../../core/errors.js';
import { redriveDeadLetters } from '../../usecases/redriveDeadLetters.js';
import {
  listDeadLetteredEvents,
  parseEventRef,
  redriveDeadLetteredEvents,
} from '../../usecases/stream/eventDeadLetters.js';
import { parseCommandArgs } from '../args.js';
import { withLocalContext } from '../context.js';
import { println, type CliIo } from '../io.js';

/** `tessera dlq list`, `dlq show SEQ`, `dlq redrive [SEQ…]`: the dead-letter queue of the work queue. */
export async function dlqCommand(args: string[], io: CliIo): Promise<number> {
  if (args[0] === 'events') return eventsDlq(args.slice(1), io);
  const [sub, ...rest] = args;
  const { values, positionals } = parseCommandArgs(`dlq ${sub ?? ''}`, rest, {
    json: { type: 'boolean' },
    all: { type: 'boolean' },
  });
  const seqs = positionals.map((p) => {
    const n = Number(p);
    if (!Number.isInteger(n) || n < 0) throw new InputError(p, 'not a sequence number');
    return n;
  });
  return withLocalContext(async (ctx) => {
    switch (sub) {
      case 'list': {
        const letters = await ctx.queue.peekDeadLetters({ maxMessages: 1000 });
        if (values.json) println(io, JSON.stringify(letters, null, 2));
        else if (letters.length === 0) println(io, 'the dead-letter queue is empty');
        else
          for (const m of letters)
            println(
              io,
              `${String(m.sequenceNumber).padStart(6)}  ${m.deadLetteredAt.toISOString()}  ${m.messageId}  ${m.deadLetterReason}: ${m.deadLetterErrorDescription.slice(0, 160)}`,
            );
        return 0;
      }
      case 'show': {
        if (seqs.length !== 1) throw new InputError('tessera dlq show', 'give one sequence number');
        const [m] = await ctx.queue.peekDeadLetters({ maxMessages: 1, fromSequenceNumber: seqs[0] });
        if (!m || m.sequenceNumber !== seqs[0]) throw new InputError(String(seqs[0]), 'no such dead-lettered message');
        println(io, JSON.stringify(m, null, 2));
        return 0;
      }
      case 'redrive': {
        if (seqs.length === 0 && !values.all)
          throw new InputError('tessera dlq redrive', 'give sequence numbers, or --all');
        const moved = await redriveDeadLetters(ctx.deps, seqs.length ? seqs : undefined);
        println(io, `${moved} message(s) returned to the queue`);
        return 0;
      }
      default:
        throw new InputError('tessera dlq', `unknown subcommand "${sub ?? ''}" (list, show, redrive)`);
    }
  });
}

/** `tessera dlq events [list] | show P:SEQ | redrive P:SEQ…|--all`: invalid stream events, kept with their reasons. */
async function eventsDlq(args: string[], io: CliIo): Promise<number> {
  const [sub = 'list', ...rest] = args;
  const { values, positionals } = parseCommandArgs(`dlq events ${sub}`, rest, {
    json: { type: 'boolean' },
    all: { type: 'boolean' },
  });
  return withLocalContext(async (ctx) => {
    switch (sub) {
      case 'list': {
        const dead = await listDeadLetteredEvents(ctx.blobs);
        if (values.json) println(io, JSON.stringify(dead, null, 2));
        else if (dead.length === 0) println(io, 'no dead-lettered events');
        else
          for (const e of dead)
            println(
              io,
              `${e.partition}:${e.sequenceNumber}  ${e.enqueuedTime}  ${e.rejects
                .map((r) => `${r.reason}${r.index === null ? '' : ` (reading ${r.index})`}: ${r.detail}`)
                .join('; ')
                .slice(0, 200)}`,
            );
        return 0;
      }
      case 'show': {
        const ref = parseEventRef(positionals[0] ?? '');
        const dead = (await listDeadLetteredEvents(ctx.blobs, Number.MAX_SAFE_INTEGER)).find(
          (e) => e.partition === ref.partition && e.sequenceNumber === ref.sequenceNumber,
        );
        if (!dead) throw new InputError(positionals[0] ?? '', 'no such dead-lettered event');
        println(io, JSON.stringify(dead, null, 2));
        return 0;
      }
      case 'redrive': {
        if (positionals.length === 0 && !values.all)
          throw new InputError('tessera dlq events redrive', 'give PARTITION:SEQUENCE references, or --all');
        const result = await redriveDeadLetteredEvents(
          ctx.blobs,
          ctx.aggregate.events,
          positionals.length ? positionals.map(parseEventRef) : undefined,
        );
        println(io, `${result.redriven} event(s) appended again`);
        for (const r of result.refused) println(io, `  refused ${r}`);
        return result.refused.length === 0 ? 0 : 1;
      }
      default:
        throw new InputError('tessera dlq events', `unknown subcommand "${sub}" (list, show, redrive)`);
    }
  });
}
