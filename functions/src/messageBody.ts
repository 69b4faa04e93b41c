import { PermanentError } from '../../src/core/errors.js';

/**
 * The JSON body of a Service Bus message as the Functions host hands it over: already parsed (an
 * object), a JSON string, or bytes. Anything that is not JSON can never be handled: permanent.
 */
export function decodeMessageBody(raw: unknown): unknown {
  if (Buffer.isBuffer(raw) || raw instanceof Uint8Array) return parse(Buffer.from(raw).toString('utf8'));
  if (typeof raw === 'string') return parse(raw);
  return raw;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new PermanentError(`message body is not JSON: ${text.slice(0, 200)}`, { code: 'MalformedMessage' });
  }
}
