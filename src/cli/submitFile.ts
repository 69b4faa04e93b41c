import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, constants, stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { InputError, PreconditionFailedError } from '../core/errors.js';
import { JOB_KINDS, JOB_OPTION_KEYS, jobKindOf } from '../core/jobNaming.js';
import type { JobView } from '../usecases/operator/jobView.js';
import { localApiPorts } from '../composition/local/localApiPorts.js';
import type { LocalContext } from '../composition/local/localContext.js';
import { inProcessFetch } from '../hosting/api/inProcessFetch.js';
import type { JobRecord } from '../ports/jobLedger.js';
import { createApiClient, type ApiClient } from './apiClient.js';
import { NO_STYLE } from '../ports/video.js';

/** Job options a submitter may give (`--model`, `--fit`, `--on-shard-error`); they travel as blob metadata. */
export type JobOptions = Partial<Record<(typeof JOB_OPTION_KEYS)[number], string>>;

/** An input is read 1 MiB at a time: at the default 64 KiB, a 60 MB upload made 930 trips through the API's spool. */
const CHUNKS = { highWaterMark: 1 << 20 };

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, CHUNKS)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * The checks that can be made before anything is uploaded, each an InputError (exit 2) naming the
 * input: the file exists, is a file, can be read, and some job kind takes it; a `--model` is
 * registered (or built in) and the job kind uses one. Returns the file's size and kind.
 */
export async function checkSubmission(
  client: ApiClient,
  path: string,
  options: JobOptions,
): Promise<{ size: number; kind: string }> {
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new InputError(path, 'no such file');
  if (info.isDirectory()) throw new InputError(path, 'is a directory: give one file');
  if (!info.isFile()) throw new InputError(path, 'is not a regular file');
  if (info.size === 0) throw new InputError(path, 'is empty: there is nothing to score');
  await access(path, constants.R_OK).catch((error: NodeJS.ErrnoException) => {
    throw new InputError(path, `cannot be read (${error.code ?? error.message})`);
  });
  const kind = jobKindOf(basename(path));
  if (!kind)
    throw new InputError(path, `no job kind takes this input (expected ${Object.values(JOB_KINDS).flat().join(', ')})`);
  // `none` re-encodes without a model: no registry holds it.
  if (options.model !== undefined && options.model !== NO_STYLE) {
    if (kind !== 'video')
      throw new InputError('--model', `applies to video jobs; an ${kind} job's models come from TESSERA_MODEL_PATTERN`);
    await client.model(options.model).catch((error: unknown) => {
      if (error instanceof InputError) throw new InputError('--model', error.message);
      if ((error as { code?: string }).code === 'NotFound')
        throw new InputError('--model', `no model "${options.model}" is registered (see "tessera models list")`);
      throw error;
    });
  }
  return { size: info.size, kind };
}

/**
 * Uploads a local file into the inbox through the API and submits its job. The same content with
 * the same options under the same name finds the same job (the server compares digests), so
 * re-submitting never duplicates it; another file under a name already taken goes in as
 * `<stem>.<hash prefix><ext>` (inputs are never overwritten). `checked`: what `checkSubmission`
 * already said of this file and these options (it is checked otherwise).
 */
export async function uploadFile(
  client: ApiClient,
  path: string,
  options: JobOptions = {},
  checked?: { readonly size: number },
): Promise<JobView> {
  const { size } = checked ?? (await checkSubmission(client, path, options));
  const base = basename(path);
  try {
    return await client.upload(base, createReadStream(path, CHUNKS), options, size);
  } catch (error) {
    if (!(error instanceof PreconditionFailedError)) throw error;
  }
  // The name holds other content: this content goes in under a name of its own, derived from its
  // digest (hashed only now: reading a large input once more up front cost every run a fifth of a second).
  const variant = createHash('sha256')
    .update(await sha256File(path))
    .update(JSON.stringify(JOB_OPTION_KEYS.map((k) => options[k] ?? null)))
    .digest('hex');
  const ext = extname(base);
  try {
    return await client.upload(
      `${base.slice(0, base.length - ext.length)}.${variant.slice(0, 12)}${ext}`,
      createReadStream(path, CHUNKS),
      options,
      size,
    );
  } catch (error) {
    if (!(error instanceof PreconditionFailedError)) throw error;
    throw new PreconditionFailedError(`inbox names for ${path} are taken by other content`);
  }
}

/** `uploadFile` over the local runtime's files, through the API's handlers in this process; returns the job's record. */
export async function submitFile(ctx: LocalContext, path: string, options: JobOptions = {}): Promise<JobRecord> {
  const view = await uploadFile(
    createApiClient(inProcessFetch(localApiPorts(ctx)), 'http://in-process'),
    path,
    options,
  );
  const job = await ctx.ledger.getJob(view.id);
  if (!job) throw new Error(`job ${view.id} vanished from the ledger`);
  return job;
}
