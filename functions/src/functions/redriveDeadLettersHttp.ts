import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { InputError } from '../../../src/core/errors.js';
import { redriveDeadLetters } from '../../../src/usecases/redriveDeadLetters.js';
import { contextFor } from '../context.js';
import { tracedHandler } from '../tracedHandler.js';
import { jsonBody, queueQuery } from '../httpInput.js';
import { errorResponse, json } from '../httpResults.js';

/**
 * POST /api/deadletters/redrive?queue=jobs|control with `{ "sequenceNumbers": [..] }` or
 * `{ "all": true }`: sends those dead letters back once their cause is fixed; their shards and
 * jobs go back to pending and running. 200 with how many were moved.
 */
async function redriveDeadLettersHttpHandler(
  request: HttpRequest,
  invocation: InvocationContext,
): Promise<HttpResponseInit> {
  try {
    const ctx = await contextFor(invocation);
    const queue = queueQuery(request, ctx);
    const sequenceNumbers = selection(await jsonBody(request));
    const redriven = await redriveDeadLetters({ ledger: ctx.ledger, queue, log: ctx.log }, sequenceNumbers);
    return json(200, { queue: queue.name, redriven });
  } catch (error) {
    return errorResponse(error);
  }
}

/** The handler as registered: the invocation in its own span (tracedHandler.ts). */
export const redriveDeadLettersHttp = tracedHandler('http', 'redriveDeadLettersHttp', redriveDeadLettersHttpHandler);

/** The sequence numbers asked for; undefined for all. */
function selection(body: unknown): number[] | undefined {
  const b = body as { sequenceNumbers?: unknown; all?: unknown } | null;
  const usage = 'must be { "sequenceNumbers": [non-negative integers] } or { "all": true }';
  if (!b || typeof b !== 'object' || Array.isArray(b)) throw new InputError('request body', usage);
  if (b.all === true && b.sequenceNumbers === undefined) return undefined;
  const seqs: unknown = b.sequenceNumbers;
  if (b.all !== undefined || !Array.isArray(seqs) || seqs.length === 0) throw new InputError('request body', usage);
  const numbers = seqs as unknown[];
  const bad = numbers.find((n) => typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0);
  if (bad !== undefined)
    throw new InputError('request body "sequenceNumbers"', `${JSON.stringify(bad)} is not a sequence number`);
  return numbers as number[];
}

app.http('redriveDeadLettersHttp', {
  methods: ['POST'],
  route: 'deadletters/redrive',
  authLevel: 'function',
  handler: redriveDeadLettersHttp,
});
