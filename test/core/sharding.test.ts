import { describe, expect, it } from 'vitest';
import { ShardRouter, decodeShardPart, encodeShardPart, shardIdOf, type ShardFlush } from '../../src/core/sharding.js';
import { RowErrorReport, checkErrorBudget } from '../../src/core/rowErrors.js';

const series = { device: '1', tag: '2' };
const HOUR = 3_600_000;

/** Routes rows of one series (number 0) through a router; returns every part flushed, the last ones included. */
function route(router: ShardRouter, key: { device: string; tag: string }, times: number[]): ShardFlush[] {
  const flushed: ShardFlush[] = [];
  for (const ts of times) if (router.add(0, key, HOUR, ts, ts)) flushed.push(...router.flush());
  return [...flushed, ...router.flush()];
}

describe('ShardRouter', () => {
  it('keeps whole spans together whatever the row order, and bounds buffered rows', () => {
    const router = new ShardRouter(3);
    const times = [10, HOUR + 5, 20, 2 * HOUR, 30, HOUR + 1, 40];
    const flushed = route(router, series, times);
    const byShard = new Map<string, number[]>();
    for (const f of flushed) {
      expect(f.ts.length).toBeLessThanOrEqual(3);
      expect([...f.values]).toEqual([...f.ts]);
      byShard.set(f.shardId, [...(byShard.get(f.shardId) ?? []), ...f.ts]);
    }
    expect([...byShard.keys()].sort()).toEqual(router.shards().map((s) => s.shardId));
    // Rows keep the file's order within a shard.
    expect(byShard.get(shardIdOf({ ...series, spanStart: 0 }))).toEqual([10, 20, 30, 40]);
    expect(byShard.get(shardIdOf({ ...series, spanStart: HOUR }))).toEqual([HOUR + 5, HOUR + 1]);
    expect(router.shards().reduce((n, s) => n + s.rows, 0)).toBe(times.length);
    expect(router.shards().map((s) => s.parts)).toEqual([3, 2, 1]);
  });

  it('is deterministic and names shards safely', () => {
    const plan = () =>
      route(new ShardRouter(2), { device: 'a/b', tag: 'x y' }, [1, 2, 3, 4, 5]).map(
        (p) => `${p.shardId}#${p.part}:${p.ts.length}`,
      );
    expect(plan()).toEqual(plan());
    expect(plan()[0]).toMatch(/^[A-Za-z0-9_.~-]+#0:2$/);
    expect(shardIdOf({ device: 'a.b', tag: 'c', spanStart: 0 })).not.toBe(
      shardIdOf({ device: 'a', tag: 'b.c', spanStart: 0 }),
    );
  });

  it('round-trips parts exactly, and refuses a part of the wrong length', () => {
    const ts = new Float64Array([1535497205000, -5, 0]);
    const values = new Float64Array([0.1 + 0.2, -1e-300, -0]);
    const bytes = encodeShardPart(ts, values);
    // As read back from a store: a Buffer at any offset.
    const copy = Buffer.concat([Buffer.from([7]), Buffer.from(bytes)]).subarray(1);
    const decoded = decodeShardPart(copy);
    expect(decoded && [...decoded.ts]).toEqual([...ts]);
    expect(decoded && [...decoded.values]).toEqual([...values]);
    expect(Object.is(decoded?.values[2], -0)).toBe(true);
    expect(decodeShardPart(copy.subarray(1))).toBeUndefined();
  });
});

describe('error budget', () => {
  it('passes within budget, fails over it with the reasons and first rows', () => {
    const report = new RowErrorReport(2);
    for (let i = 0; i < 1000; i++) report.countRow();
    report.reject(5, 'non-numeric value', '"x"');
    expect(checkErrorBudget(report.summary(), 0.01)).toBeUndefined();
    for (const row of [7, 9, 11, 13, 15, 17, 19, 21, 23, 25]) report.reject(row, 'unparseable timestamp', '"?"');
    const reason = checkErrorBudget(report.summary(), 0.01);
    expect(reason).toMatch(/11 of 1000 rows \(1\.10%\) are invalid/);
    expect(reason).toMatch(/unparseable timestamp: 10, first at line 7, 9/);
    expect(report.summary().byReason['unparseable timestamp']?.firstRows).toEqual([7, 9]);
  });

  it('fails an empty file', () => {
    expect(checkErrorBudget(new RowErrorReport().summary(), 0.01)).toBe('the file has no data rows');
  });
});
