import { InputError } from '../../core/errors.js';
import type { DeadLetteredMessage, WorkQueue } from '../../ports/workQueue.js';
import { redriveDeadLetters } from '../../usecases/redriveDeadLetters.js';
import { NotAvailableError } from '../../usecases/operator/notAvailableError.js';
import {
  listDeadLetteredEvents,
  parseEventRef,
  redriveDeadLetteredEvents,
} from '../../usecases/stream/eventDeadLetters.js';
import { intQuery, jsonBody, oneOfQuery } from './apiInput.js';
import { json, type ApiPorts, type ApiRequest, type ApiRoute } from './apiTypes.js';

/** `?queue=` among the deployment's queues (default `jobs`). */
function queueOf(ports: ApiPorts, request: ApiRequest): { name: string; queue: WorkQueue } {
  const names = Object.keys(ports.queues);
  const name = oneOfQuery(request, 'queue', names) ?? 'jobs';
  const queue = ports.queues[name];
  if (!queue) throw new InputError('query parameter queue', `must be one of ${names.join(', ')}`);
  return { name, queue };
}

/** A dead-lettered message in the API's shape: the job and shard it was for, and why it died. */
function deadLetterView(m: DeadLetteredMessage) {
  const body = m.body !== null && typeof m.body === 'object' ? (m.body as Record<string, unknown>) : {};
  const text = (v: unknown) => (typeof v === 'string' ? v : null);
  return {
    sequenceNumber: m.sequenceNumber,
    messageId: m.messageId,
    subject: m.subject ?? null,
    jobId: text(body.jobId),
    shardId: text(body.shardId),
    kind: text(body.kind),
    deliveryCount: m.deliveryCount,
    enqueuedAt: m.enqueuedAt.toISOString(),
    deadLetteredAt: m.deadLetteredAt.toISOString(),
    reason: m.deadLetterReason,
    description: m.deadLetterErrorDescription,
    body: m.body,
  };
}

export const listDeadLetters: ApiRoute = {
  operationId: 'listDeadLetters',
  method: 'GET',
  path: '/deadletters',
  async handle(ports, request) {
    const { name, queue } = queueOf(ports, request);
    const fromSequenceNumber = intQuery(request, 'from', 0, 0, Number.MAX_SAFE_INTEGER);
    const maxMessages = intQuery(request, 'limit', 100, 1, 1000);
    const messages = await queue.peekDeadLetters({ maxMessages, fromSequenceNumber });
    return json(200, { queue: name, messages: messages.map(deadLetterView) });
  },
};

/** `{ "sequenceNumbers": [..] }` or `{ "all": true }`: the selection asked for; undefined for all. */
function selection(body: unknown): number[] | undefined {
  const b = body as { sequenceNumbers?: unknown; all?: unknown } | null;
  const usage = 'must be { "sequenceNumbers": [non-negative integers] } or { "all": true }';
  if (!b || typeof b !== 'object' || Array.isArray(b)) throw new InputError('request body', usage);
  if (b.all === true && b.sequenceNumbers === undefined) return undefined;
  const seqs: unknown = b.sequenceNumbers;
  if (b.all !== undefined || !Array.isArray(seqs) || seqs.length === 0) throw new InputError('request body', usage);
  const bad = (seqs as unknown[]).find((n) => typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0);
  if (bad !== undefined)
    throw new InputError('request body "sequenceNumbers"', `${JSON.stringify(bad)} is not a sequence number`);
  return seqs as number[];
}

export const redriveDeadLettersRoute: ApiRoute = {
  operationId: 'redriveDeadLetters',
  method: 'POST',
  path: '/deadletters/redrive',
  async handle(ports, request) {
    const { name, queue } = queueOf(ports, request);
    const sequenceNumbers = selection(await jsonBody(request));
    const redriven = await redriveDeadLetters(
      { ledger: ports.jobs.ledger, queue, log: ports.jobs.log },
      sequenceNumbers,
    );
    return json(200, { queue: name, redriven });
  },
};

export const listDeadLetteredEventsRoute: ApiRoute = {
  operationId: 'listDeadLetteredEvents',
  method: 'GET',
  path: '/deadletters/events',
  async handle(ports, request) {
    const limit = intQuery(request, 'limit', 100, 1, 1000);
    return json(200, { events: await listDeadLetteredEvents(ports.jobs.blobs, limit) });
  },
};

export const redriveDeadLetteredEventsRoute: ApiRoute = {
  operationId: 'redriveDeadLetteredEvents',
  method: 'POST',
  path: '/deadletters/events/redrive',
  async handle(ports, request) {
    const b = (await jsonBody(request)) as { refs?: unknown; all?: unknown } | null;
    const usage = 'must be { "refs": ["PARTITION:SEQUENCE", …] } or { "all": true }';
    if (!b || typeof b !== 'object' || Array.isArray(b)) throw new InputError('request body', usage);
    const all = b.all === true && b.refs === undefined;
    if (!all && (!Array.isArray(b.refs) || b.refs.length === 0 || b.all !== undefined))
      throw new InputError('request body', usage);
    const refs = all
      ? undefined
      : (b.refs as unknown[]).map((r) => parseEventRef(typeof r === 'string' ? r : String(r)));
    if (!ports.events)
      throw new NotAvailableError('the sensor stream is not configured here: no event log to re-drive into');
    return json(200, await redriveDeadLetteredEvents(ports.jobs.blobs, ports.events, refs));
  },
};
