import { describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/core/errors.js';
import { decodeMessageBody } from '../../functions/src/messageBody.js';

describe('decodeMessageBody (a Service Bus body as the host hands it over)', () => {
  it('takes a parsed object, a JSON string or JSON bytes alike', () => {
    const body = { kind: 'plan', jobId: 'j1' };
    expect(decodeMessageBody(body)).toEqual(body);
    expect(decodeMessageBody(JSON.stringify(body))).toEqual(body);
    expect(decodeMessageBody(Buffer.from(JSON.stringify(body)))).toEqual(body);
  });

  it('anything that is not JSON is permanent, quoting the body', () => {
    expect(() => decodeMessageBody(Buffer.from('\u0000\u0001'))).toThrow(PermanentError);
    expect(() => decodeMessageBody('{"kind":')).toThrow(/message body is not JSON: \{"kind":/);
  });
});
