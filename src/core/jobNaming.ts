import { createHash } from 'node:crypto';

/** Containers the pipeline uses. */
export const CONTAINERS = {
  inbox: 'inbox',
  work: 'work',
  results: 'results',
  models: 'models',
  windows: 'windows',
} as const;

/** Identifies an input blob version: the same version always maps to the same job. */
export interface InputRef {
  readonly container: string;
  readonly name: string;
  readonly etag: string;
}

/** Deterministic job id: re-submitting the same blob version never creates a second job. */
export function jobIdFor(input: InputRef): string {
  const digest = createHash('sha256').update(`${input.container}\n${input.name}\n${input.etag}`).digest('hex');
  return `j${digest.slice(0, 20)}`;
}

/** A part of a shard's rows, as the planner wrote it (sharding.ts encodes it). */
export function partBlobName(jobId: string, shardId: string, part: number): string {
  return `${jobId}/parts/${shardId}/${String(part).padStart(5, '0')}.f64`;
}

export function shardOutputName(jobId: string, shardId: string): string {
  return `${jobId}/out/${shardId}.csv`;
}

export const RESULT_FILES = ['scores.csv', 'anomalies.csv', 'summary.json'] as const;
export type ResultFile = (typeof RESULT_FILES)[number];

export function resultBlobName(jobId: string, file: ResultFile): string {
  return `${jobId}/${file}`;
}

export function planMessageId(jobId: string): string {
  return `${jobId}:plan`;
}

export function shardMessageId(jobId: string, shardId: string): string {
  return `${jobId}:shard:${shardId}`;
}

/** One finish per entry into `finishing`: keyed by the job's ETag then, so a re-driven job can finish again. */
export function finishMessageId(jobId: string, finishingEtag: string): string {
  return `${jobId}:finish:${finishingEtag}`;
}

/** The model name of a series: `{device}` and `{tag}` substituted, lower-cased, other characters as `-`. */
export function modelNameFor(pattern: string, series: { readonly device: string; readonly tag: string }): string {
  const clean = (s: string) => s.toLowerCase().replace(/[^a-z0-9._-]/g, '-');
  return pattern.replaceAll('{device}', clean(series.device)).replaceAll('{tag}', clean(series.tag));
}

/** Job kinds by input type. */
export const JOB_KINDS = {
  anomaly: ['.csv'],
  video: ['.mp4', '.mov', '.m4v', '.mkv', '.webm', '.avi', '.ts'],
} as const;
export type JobKindName = keyof typeof JOB_KINDS;

/** The job kind of an input, from its name's extension; undefined when no kind takes it. */
export function jobKindOf(name: string): JobKindName | undefined {
  const lower = name.toLowerCase();
  for (const [kind, exts] of Object.entries(JOB_KINDS) as [JobKindName, readonly string[]][]) {
    if (exts.some((e) => lower.endsWith(e))) return kind;
  }
  return undefined;
}

/** Blob metadata keys a submitter may set to steer its job (e.g. `model=mosaic`). */
export const JOB_OPTION_KEYS = ['model', 'fit', 'on_shard_error'] as const;
