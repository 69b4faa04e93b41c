import type { BlobProperties } from '../ports/blobStore.js';
import type { Counts } from './jobKind.js';

/** The metadata key a shard's output carries its counts in (`windows=12,anomalies=1`). */
const COUNTS_KEY = 'tessera_counts';

/**
 * Metadata for a shard's output blob: its counts, so that a redelivered shard whose output exists
 * takes them from the blob instead of computing it again (an output is written whole or not at all).
 */
export function shardOutputMetadata(counts: Counts): Record<string, string> {
  const text = Object.entries(counts)
    .filter(([, v]) => Number.isFinite(v))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return { [COUNTS_KEY]: text };
}

/** The counts a shard's output blob carries; undefined when there is no such blob or it carries none. */
export function readShardOutputCounts(properties: Pick<BlobProperties, 'metadata'> | undefined): Counts | undefined {
  const text = properties?.metadata[COUNTS_KEY];
  if (text === undefined) return undefined;
  const counts: Counts = {};
  for (const pair of text.split(',')) {
    if (pair === '') continue;
    const [key = '', value = ''] = pair.split('=');
    const n = Number(value);
    if (key === '' || value === '' || !Number.isFinite(n)) return undefined;
    counts[key] = n;
  }
  return counts;
}
