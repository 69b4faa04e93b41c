import { describe, expect, it } from 'vitest';
import { ShardRouter, decodeShardRows, encodeShardRows, shardIdOf } from '../../src/core/sharding.js';
import { RowErrorReport, checkErrorBudget } from '../../src/core/rowErrors.js';

const series = { device: '1', tag: '2' };
const HOUR = 3_600_000;

describe('ShardRouter', () => {
  it('keeps whole spans together whatever the row order, and bounds buffered rows', () => {
    const router = new ShardRouter(3);
    const flushed = [];
    const times = [10, HOUR + 5, 20, 2 * HOUR, 30, HOUR + 1, 40];
    for (const ts of times) flushed.push(...router.add(series, HOUR, { ts, value: ts }));
    flushed.push(...router.flush());
    const byShard = new Map<string, number[]>();
    for (const f of flushed) {
      expect(f.rows.length).toBeLessThanOrEqual(3);
      byShard.set(f.shardId, [...(byShard.get(f.shardId) ?? []), ...f.rows.map((r) => r.ts)]);
    }
    expect([...byShard.keys()].sort()).toEqual(router.shards().map((s) => s.shardId));
    expect(byShard.get(shardIdOf({ ...series, spanStart: 0 }))?.sort((a, b) => a - b)).toEqual([10, 20, 30, 40]);
    expect(byShard.get(shardIdOf({ ...series, spanStart: HOUR }))?.sort((a, b) => a - b)).toEqual([HOUR + 1, HOUR + 5]);
    expect(router.shards().reduce((n, s) => n + s.rows, 0)).toBe(times.length);
  });

  it('is deterministic and names shards safely', () => {
    const plan = () => {
      const r = new ShardRouter(2);
      const parts = [1, 2, 3, 4, 5].flatMap((ts) => r.add({ device: 'a/b', tag: 'x y' }, HOUR, { ts, value: 1 }));
      return [...parts, ...r.flush()].map((p) => `${p.shardId}#${p.part}:${p.rows.length}`);
    };
    expect(plan()).toEqual(plan());
    expect(plan()[0]).toMatch(/^[A-Za-z0-9_.~-]+#0:2$/);
    expect(shardIdOf({ device: 'a.b', tag: 'c', spanStart: 0 })).not.toBe(
      shardIdOf({ device: 'a', tag: 'b.c', spanStart: 0 }),
    );
  });

  it('round-trips rows exactly', () => {
    const rows = [
      { ts: 1535497205000, value: 0.1 + 0.2 },
      { ts: -5, value: -1e-300 },
    ];
    expect(decodeShardRows(encodeShardRows(rows))).toEqual(rows);
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
