import { describe, expect, it } from 'vitest';
import { MAX_SHARD_ROWS, chooseShardWindows, estimateRows } from '../../src/core/shardSpans.js';

describe('shard spans sized to the work', () => {
  it('cuts a large job into shards of a large share of its rows', () => {
    // 1.78 M rows, 15 series of about 4.7 rows per window, two workers: a series fits in one shard.
    const series = Array.from({ length: 15 }, () => ({ rows: 4_000, windows: 850 }));
    const chosen = chooseShardWindows(series, 1_776_800, 2);
    expect(chosen.targetRows).toBe(444_200);
    expect(chosen.perSeries.every((w) => w === Math.floor(444_200 / (4_000 / 850)))).toBe(true);
    expect(chosen.otherwise).toBe(chosen.perSeries[0]);
  });

  it('still spreads a tiny job of one series across the workers', () => {
    const chosen = chooseShardWindows([{ rows: 1_000, windows: 1_000 }], 1_000, 4);
    expect(chosen.targetRows).toBe(125);
    expect(chosen.perSeries).toEqual([125]); // 1000 windows in 8 shards: two per worker
  });

  it('caps a shard, and falls back when the sample saw no series', () => {
    expect(chooseShardWindows([{ rows: 10, windows: 10 }], 1e9, 1).targetRows).toBe(MAX_SHARD_ROWS);
    expect(chooseShardWindows([], 100, 2)).toEqual({ perSeries: [], otherwise: 720, targetRows: 25 });
    expect(chooseShardWindows([{ rows: 5, windows: 1 }], 1, 2).perSeries).toEqual([1]);
  });

  it('estimates the rows of a file from its first bytes', () => {
    expect(estimateRows(1_000, 34_000, 3_400_000, false)).toBe(100_000);
    expect(estimateRows(1_000, 34_000, 3_400_000, true)).toBe(1_000);
    expect(estimateRows(10, 0, 100, false)).toBe(10);
  });
});
