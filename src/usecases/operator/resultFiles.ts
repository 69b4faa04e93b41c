import { InputError, NotFoundError } from '../../core/errors.js';
import { CONTAINERS } from '../../core/jobNaming.js';
import type { BlobDownload, BlobStore } from '../../ports/blobStore.js';
import type { JobRecord, JsonValue } from '../../ports/jobLedger.js';
import { detailOf } from '../jobDetail.js';
import { readBlobText } from '../readBlobText.js';

/** A result file of a job: a blob directly under `results/<jobId>/`, downloadable by its name. */
export interface ResultFileView {
  readonly name: string;
  readonly size: number;
  readonly contentType: string | null;
  readonly updatedAt: string;
}

/**
 * A plain file name: no path separator, no control character, not `.` or `..`. Result files are
 * named after their inputs (`-rf clip ünï.styled.mp4` is a fine name), so nothing more is refused.
 */
const FILE_NAME = /^(?!\.{1,2}$)[^/\\\u0000-\u001f\u007f]{1,255}$/u;

/** The job's result files by name (not the dashboard's thumbnails under `thumbs/`). */
export async function listResultFiles(blobs: BlobStore, jobId: string): Promise<ResultFileView[]> {
  const files: ResultFileView[] = [];
  for await (const blob of blobs.list(CONTAINERS.results, `${jobId}/`)) {
    const name = blob.name.slice(jobId.length + 1);
    if (name === '' || name.includes('/')) continue;
    files.push({
      name,
      size: blob.size,
      contentType: blob.contentType ?? null,
      updatedAt: blob.lastModified.toISOString(),
    });
  }
  return files;
}

/** Opens one result file; an unknown name is NotFoundError, a name that is not a plain file name an InputError. */
export async function openResultFile(blobs: BlobStore, jobId: string, name: string): Promise<BlobDownload> {
  if (!FILE_NAME.test(name))
    throw new InputError('file name', `must be a plain file name, got ${JSON.stringify(name.slice(0, 210))}`);
  try {
    return await blobs.get(CONTAINERS.results, `${jobId}/${name}`);
  } catch (error) {
    if (error instanceof NotFoundError) throw new NotFoundError(`result file ${name} of job ${jobId}`);
    throw error;
  }
}

/** An ended job's summary.json, or the one its ledger record keeps; null when it has none. */
export async function readSummary(
  blobs: BlobStore,
  job: JobRecord,
): Promise<{ readonly [key: string]: JsonValue } | null> {
  try {
    const parsed = JSON.parse(await readBlobText(blobs, CONTAINERS.results, `${job.jobId}/summary.json`)) as JsonValue;
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed;
  } catch (error) {
    if (!(error instanceof NotFoundError) && !(error instanceof SyntaxError)) throw error;
  }
  const kept = detailOf(job).summary;
  return kept !== null && typeof kept === 'object' && !Array.isArray(kept) ? kept : null;
}
