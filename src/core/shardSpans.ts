/**
 * How many windows a shard spans, chosen from the work rather than fixed: a shard should carry enough
 * rows that its fixed costs (a message, a claim and a completion in the ledger, its part and output
 * blobs, lock renewals) are a small share of its time, yet a job should still make a few shards per
 * worker, so that a small job spreads across them and a large one ends with the workers evenly busy.
 * Since a shard is one series over an epoch-aligned span, the choice is a span per series, made from
 * the rows at the start of the file: each sampled series' rows per window, and the file's size.
 */

/** Shards a job is cut into per worker, when its rows allow (more even ends, less fixed cost). */
export const SHARDS_PER_WORKER = 2;
/** No shard carries more rows than this: a shard redone after a crash stays short. */
export const MAX_SHARD_ROWS = 1_000_000;
/** Windows per shard for a series the sample did not see, when the sample saw none at all. */
export const FALLBACK_WINDOWS = 720;

/** What the sample saw of one series: its rows, and how many distinct windows they fell in. */
export interface SeriesSample {
  readonly rows: number;
  readonly windows: number;
}

export interface ShardWindows {
  /** Windows per shard for each sampled series, in the sample's order. */
  readonly perSeries: number[];
  /** For series first seen after the sample: the median of the sampled series' choices. */
  readonly otherwise: number;
  /** The rows a shard aims at. */
  readonly targetRows: number;
}

/**
 * Windows per shard for each series: the target rows (the job's estimated rows shared out as
 * SHARDS_PER_WORKER shards per worker, at most MAX_SHARD_ROWS) divided by the series' rows per window.
 */
export function chooseShardWindows(
  samples: readonly SeriesSample[],
  estimatedRows: number,
  parallelism: number,
): ShardWindows {
  const targetRows = Math.max(
    1,
    Math.min(MAX_SHARD_ROWS, Math.ceil(estimatedRows / (Math.max(1, parallelism) * SHARDS_PER_WORKER))),
  );
  const perSeries = samples.map((s) =>
    Math.max(1, Math.floor(targetRows / Math.max(1, s.rows / Math.max(1, s.windows)))),
  );
  const sorted = [...perSeries].sort((a, b) => a - b);
  const otherwise = sorted.length === 0 ? FALLBACK_WINDOWS : (sorted[Math.floor(sorted.length / 2)] as number);
  return { perSeries, otherwise, targetRows };
}

/** The job's rows, estimated from a sample of `sampleRows` rows in its first `sampleBytes` bytes. */
export function estimateRows(sampleRows: number, sampleBytes: number, fileBytes: number, complete: boolean): number {
  if (complete || sampleBytes <= 0) return sampleRows;
  return Math.ceil((sampleRows * Math.max(fileBytes, sampleBytes)) / sampleBytes);
}
