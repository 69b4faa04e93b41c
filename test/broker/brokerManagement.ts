/**
 * The request-response nodes of the test broker: `$cbs` (put-token, with SAS signatures checked
 * against the broker's key) and `<entity>/$management` (renew-lock, peek-message, schedule-message,
 * cancel-scheduled-message, update-disposition), answering in the shape the SDK's
 * RequestResponseLink reads. Other operations answer 501 amqp:not-implemented.
 */
import { createHmac } from 'node:crypto';
import rhea, { type Message } from 'rhea';
import type { Outcome, SubQueue } from './brokerQueue.js';
import { decode, onTheWire, optionalString as optional, reply, uuidToString } from './brokerWire.js';

const LOCK_LOST = {
  condition: 'com.microsoft:message-lock-lost',
  description:
    'The lock supplied is invalid. Either the lock expired, or the message has already been removed from the queue.',
};

export interface Credentials {
  readonly keyName: string;
  readonly key: string;
  /** Bearer tokens (from a TokenCredential) the broker accepts as `jwt`. */
  readonly jwtTokens: ReadonlySet<string>;
}

/** `$cbs` put-token: 200 for a valid SAS token or an accepted JWT, else 401. */
export function putToken(request: Message, credentials: Credentials, now: number): Message {
  const props = request.application_properties ?? {};
  const token = String(request.body);
  const ok =
    props['operation'] === 'put-token' &&
    (props['type'] === 'jwt' ? credentials.jwtTokens.has(token) : validSas(token, credentials, now));
  if (ok) return reply(request, 200, undefined);
  return reply(request, 401, undefined, {
    condition: 'amqp:unauthorized-access',
    description: `Unauthorized access for '${String(props['name'])}'.`,
  });
}

function validSas(token: string, credentials: Credentials, now: number): boolean {
  const prefix = 'SharedAccessSignature ';
  if (!token.startsWith(prefix)) return false;
  const fields = new Map(
    token
      .slice(prefix.length)
      .split('&')
      .map((kv) => kv.split('=', 2) as [string, string]),
  );
  const [sr, sig, se, skn] = [fields.get('sr'), fields.get('sig'), fields.get('se'), fields.get('skn')];
  if (sr === undefined || sig === undefined || se === undefined || skn === undefined) return false;
  if (decodeURIComponent(skn) !== credentials.keyName || Number(se) * 1000 < now) return false;
  const expected = createHmac('sha256', credentials.key).update(`${sr}\n${se}`).digest('base64');
  return decodeURIComponent(sig) === expected;
}

/** One `$management` request against `sub` (the entity the node belongs to). */
export function manage(request: Message, sub: SubQueue, now: number): Message {
  const queue = sub.queue;
  const body = (request.body ?? {}) as Record<string, unknown>;
  const operation = String(request.application_properties?.['operation']);
  switch (operation) {
    case 'com.microsoft:renew-lock': {
      const untils = tokens(body).map((token) => queue.renew(token, now));
      if (untils.some((u) => u === undefined)) return reply(request, 410, undefined, LOCK_LOST);
      return reply(request, 200, { expirations: untils.map((u) => new Date(u ?? 0)) });
    }
    case 'com.microsoft:peek-message': {
      const found = sub.peek(toNumber(body['from-sequence-number']), Number(body['message-count'] ?? 1));
      if (found.length === 0) return reply(request, 204, undefined);
      return reply(request, 200, { messages: found.map((m) => ({ message: rhea.message.encode(onTheWire(m, now)) })) });
    }
    case 'com.microsoft:schedule-message': {
      const entries = (body['messages'] ?? []) as { message: Buffer }[];
      const seqs = entries.map((e) => queue.enqueue(decode(e.message), now) ?? 0);
      return reply(request, 200, { 'sequence-numbers': seqs.map((s) => rhea.types.wrap_long(s)) });
    }
    case 'com.microsoft:cancel-scheduled-message': {
      queue.cancelScheduled(((body['sequence-numbers'] ?? []) as unknown[]).map(toNumber), now);
      return reply(request, 200, undefined);
    }
    case 'com.microsoft:update-disposition': {
      const outcome = dispositionOutcome(body);
      if (outcome === undefined)
        return reply(request, 400, undefined, {
          condition: 'com.microsoft:argument-error',
          description: 'unsupported disposition-status',
        });
      const results = tokens(body).map((token) => queue.settle(token, outcome, now));
      return results.every(Boolean) ? reply(request, 200, undefined) : reply(request, 410, undefined, LOCK_LOST);
    }
    default:
      return reply(request, 501, undefined, {
        condition: 'amqp:not-implemented',
        description: `${operation} is not modelled by the test broker`,
      });
  }
}

function dispositionOutcome(body: Record<string, unknown>): Outcome | undefined {
  const properties = (body['properties-to-modify'] ?? {}) as Record<string, unknown>;
  switch (body['disposition-status']) {
    case 'completed':
      return { kind: 'complete' };
    case 'abandoned':
      return { kind: 'abandon', properties };
    case 'suspended':
      return {
        kind: 'deadLetter',
        reason: optional(body['deadletter-reason']),
        description: optional(body['deadletter-description']),
        properties,
      };
    default:
      return undefined;
  }
}

function tokens(body: Record<string, unknown>): string[] {
  return ((body['lock-tokens'] ?? []) as Buffer[]).map((b) => uuidToString(b));
}

/** A long as rhea decodes it: a number, or 8 big-endian bytes when it does not fit one. */
function toNumber(value: unknown): number {
  if (Buffer.isBuffer(value)) return Number(value.readBigInt64BE(0));
  return Number(value ?? 0);
}
