import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { InputError } from '../core/errors.js';
import { CONTAINERS } from '../core/jobNaming.js';
import type { JobRecord } from '../ports/jobLedger.js';
import type { LocalContext } from '../runtime/localContext.js';
import { submitJob } from '../usecases/anomaly/submitJob.js';

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Drops a local file into the inbox and submits its job. The same content under the same name
 * is not uploaded again, so re-submitting it finds the same job instead of duplicating it.
 */
export async function submitFile(ctx: LocalContext, path: string): Promise<JobRecord> {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) throw new InputError(path, 'no such file');
  const name = basename(path);
  const sha256 = await sha256File(path);
  const existing = await ctx.blobs.head(CONTAINERS.inbox, name);
  if (existing?.metadata.sha256 !== sha256) {
    await ctx.blobs.put(CONTAINERS.inbox, name, createReadStream(path), { contentType: 'text/csv', metadata: { sha256 } });
  }
  return submitJob(ctx.deps, { container: CONTAINERS.inbox, name });
}
