import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { InputError, PreconditionFailedError } from '../core/errors.js';
import { CONTAINERS, JOB_OPTION_KEYS } from '../core/jobNaming.js';
import type { JobRecord } from '../ports/jobLedger.js';
import type { LocalContext } from '../composition/local/localContext.js';
import { submitJob } from '../usecases/submitJob.js';

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Job options a submitter may give (`--model`, `--fit`, `--on-shard-error`); they travel as blob metadata. */
export type JobOptions = Partial<Record<(typeof JOB_OPTION_KEYS)[number], string>>;

function sameOptions(metadata: Readonly<Record<string, string>>, options: JobOptions): boolean {
  return JOB_OPTION_KEYS.every((k) => metadata[k] === options[k]);
}

/**
 * Drops a local file into the inbox and submits its job. The same content with the same options
 * under the same name is not uploaded again, so re-submitting it finds the same job instead of
 * duplicating it. Inputs are never overwritten: anything else under a name already taken goes in
 * as `<stem>.<hash prefix><ext>`, created only if absent.
 */
export async function submitFile(ctx: LocalContext, path: string, options: JobOptions = {}): Promise<JobRecord> {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) throw new InputError(path, 'no such file');
  const sha256 = await sha256File(path);
  const variant = createHash('sha256')
    .update(sha256)
    .update(JSON.stringify(JOB_OPTION_KEYS.map((k) => options[k] ?? null)))
    .digest('hex');
  const base = basename(path);
  const ext = extname(base);
  const metadata: Record<string, string> = { sha256 };
  for (const k of JOB_OPTION_KEYS) if (options[k] !== undefined) metadata[k] = options[k];
  for (const name of [base, `${base.slice(0, base.length - ext.length)}.${variant.slice(0, 12)}${ext}`]) {
    const existing = await ctx.blobs.head(CONTAINERS.inbox, name);
    if (existing?.metadata.sha256 === sha256 && sameOptions(existing.metadata, options))
      return submitJob(ctx.deps, { container: CONTAINERS.inbox, name });
    if (existing) continue;
    try {
      await ctx.blobs.put(CONTAINERS.inbox, name, createReadStream(path), { ifNoneMatch: '*', metadata });
      return submitJob(ctx.deps, { container: CONTAINERS.inbox, name });
    } catch (error) {
      if (!(error instanceof PreconditionFailedError)) throw error;
    }
  }
  throw new PreconditionFailedError(`inbox names for ${path} are taken by other content`);
}
