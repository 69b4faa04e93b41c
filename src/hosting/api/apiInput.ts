import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomUUID } from 'node:crypto';
import { InputError } from '../../core/errors.js';
import type { ReceivedUpload } from '../../usecases/operator/uploadInput.js';
import type { ApiRequest } from './apiTypes.js';

const MAX_JSON_BYTES = 1024 * 1024;

/** The request's JSON body; an empty body, one that is not JSON or one over 1 MiB is an InputError naming it. */
export async function jsonBody(request: ApiRequest): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request.body()) {
    size += (chunk as Buffer).length;
    if (size > MAX_JSON_BYTES) throw new InputError('request body', `is over ${MAX_JSON_BYTES} bytes of JSON`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw new InputError('request body', 'is empty: expected JSON');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new InputError('request body', `is not JSON (${(error as Error).message})`);
  }
}

/** An integer query parameter within [min, max], or `fallback` when absent. */
export function intQuery(request: ApiRequest, name: string, fallback: number, min: number, max: number): number {
  const raw = request.query.get(name);
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new InputError(`query parameter ${name}`, `must be an integer from ${min} to ${max}, got "${raw}"`);
  return n;
}

/** A query parameter that must be one of `allowed`, or undefined when absent. */
export function oneOfQuery<T extends string>(request: ApiRequest, name: string, allowed: readonly T[]): T | undefined {
  const raw = request.query.get(name);
  if (raw === null || raw === '') return undefined;
  if (!(allowed as readonly string[]).includes(raw))
    throw new InputError(`query parameter ${name}`, `must be one of ${allowed.join(', ')}, got "${raw}"`);
  return raw as T;
}

/** A free-text query parameter, or undefined when absent or empty. */
export function textQuery(request: ApiRequest, name: string): string | undefined {
  const raw = request.query.get(name);
  return raw === null || raw === '' ? undefined : raw;
}

/**
 * Receives an upload whole into `dir` while hashing it, so the inbox gets its digest as metadata and
 * a body cut off mid-way never reaches the inbox. Over `maxBytes` is an InputError. The caller
 * removes the file with `discard` once it has been stored.
 */
export async function spoolUpload(
  request: ApiRequest,
  dir: string,
  maxBytes: number,
): Promise<ReceivedUpload & { discard(): Promise<void> }> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, `upload-${randomUUID()}.part`);
  const hash = createHash('sha256');
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      if (size > maxBytes) return done(new InputError('request body', `is over ${maxBytes} bytes`));
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    await pipeline(request.body(), meter, createWriteStream(file));
  } catch (error) {
    await rm(file, { force: true });
    throw error;
  }
  return {
    size,
    sha256: hash.digest('hex'),
    open: () => createReadStream(file, { highWaterMark: 1 << 20 }),
    discard: () => rm(file, { force: true }),
  };
}
