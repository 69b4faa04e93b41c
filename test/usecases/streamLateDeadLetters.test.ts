import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CONTAINERS } from '../../src/core/jobNaming.js';
import type { AggregatorSnapshotV1 } from '../../src/core/stream/aggregatorTypes.js';
import { aggregateStep, restorePartition, stateBlob } from '../../src/usecases/stream/aggregatePartition.js';
import { deadLettersOfSent } from '../../src/usecases/stream/eventDeadLetters.js';
import { openContext, tempHome } from '../support/localHarness.js';

const reading = (deviceId: string, ts: string, extra: Record<string, unknown> = {}) => ({
  deviceId,
  tag: 't',
  ts,
  value: 1,
  ...extra,
});

describe('the aggregator dead-letters what needs the stream state', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function world(latePolicy: 'adjust' | 'drop') {
    const home = tempHome();
    const config = { ...home.config, stream: { ...home.config.stream, partitions: 1, latePolicy } };
    const ctx = openContext(config);
    await ctx.ensureContainers();
    cleanups.push(home.cleanup, () => ctx.close());
    const deps = { ...ctx.aggregate, waitMs: 0, now: () => Date.parse('2026-01-01T00:10:00Z') };
    return { ctx, deps };
  }

  it('a reading too late for its device: dead-lettered with its index in the message, beside the decoder rejects', async () => {
    const { ctx, deps } = await world('drop');
    const events = ctx.aggregate.events;
    await events.append('a', [{ body: JSON.stringify(reading('a', '2026-01-01T00:05:00Z')) }]);
    const batch = {
      schema: 'tessera.reading/v1',
      readings: [
        reading('a', '2026-01-01T00:05:01Z'),
        reading('a', '2026-01-01T00:05:01Z', { tag: '' }),
        reading('a', '2026-01-01T00:01:00Z'), // 4 min behind device a's watermark: too late
        reading('b', '2026-01-01T00:01:00Z'), // another device's clock: on time
      ],
    };
    await events.append('a', [{ body: JSON.stringify(batch) }]);
    const owned = await restorePartition(deps, 0);
    expect(await aggregateStep(deps, owned, owned.next)).toBe(2);
    const { consumed, deadLettered } = await deadLettersOfSent(deps, [{ partition: 0, first: 0, last: 1 }], {
      timeoutMs: 0,
    });
    expect(consumed).toBe(true);
    expect(deadLettered.map((d) => [d.sequenceNumber, d.rejects.map((r) => [r.index, r.reason])])).toEqual([
      [
        1,
        [
          [1, 'invalid device or tag'],
          [2, 'too late'],
        ],
      ],
    ]);
    expect(owned.aggregator.stats()).toMatchObject({ dropped: 1, readings: 4 });
  });

  it('a backfill reading too late for its device is dead-lettered even under adjust; nothing else is', async () => {
    const { ctx, deps } = await world('adjust');
    const events = ctx.aggregate.events;
    await events.append('a', [{ body: JSON.stringify(reading('a', '2026-01-01T00:05:00Z')) }]);
    await events.append('a', [{ body: JSON.stringify(reading('a', '2026-01-01T00:01:00Z')) }]); // adjusted
    await events.append('a', [{ body: JSON.stringify(reading('a', '2025-12-01T00:00:00Z', { backfill: true })) }]);
    const owned = await restorePartition(deps, 0);
    const { aggregator } = owned;
    await aggregateStep(deps, owned, owned.next);
    const { deadLettered } = await deadLettersOfSent(deps, [{ partition: 0, first: 0, last: 2 }], { timeoutMs: 0 });
    expect(deadLettered.map((d) => [d.sequenceNumber, d.rejects.map((r) => r.reason)])).toEqual([[2, ['too late']]]);
    expect(aggregator.stats()).toMatchObject({ adjusted: 1, dropped: 1 });
  });

  it('deadLettersOfSent waits for the checkpoint and says when it did not come', async () => {
    const { ctx, deps } = await world('drop');
    await ctx.aggregate.events.append('a', [{ body: JSON.stringify(reading('a', '2026-01-01T00:05:00Z')) }]);
    const started = Date.now();
    const { consumed } = await deadLettersOfSent(deps, [{ partition: 0, first: 0, last: 0 }], {
      timeoutMs: 300,
      pollMs: 50,
    });
    expect(consumed).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('a partition checkpointed with a version 1 snapshot (one watermark per partition) restores and goes on', async () => {
    const { ctx, deps } = await world('adjust');
    const v1 = JSON.parse(
      readFileSync(resolve(import.meta.dirname, '../core/stream/fixtures/aggregator-snapshot-v1.json'), 'utf8'),
    ) as AggregatorSnapshotV1;
    const seq = v1.lastSequenceNumber;
    await ctx.blobs.put(
      CONTAINERS.windows,
      // As written before partition claims: no epoch in the name.
      stateBlob(deps.consumerGroup, 0, seq, 0).replace(/-e0\.json$/, '.json'),
      JSON.stringify({ snapshot: v1, batch: null }),
    );
    await ctx.aggregate.events.setCheckpoint({
      consumerGroup: deps.consumerGroup,
      partition: 0,
      sequenceNumber: seq,
      offset: '0',
    });
    const { aggregator, next } = await restorePartition(deps, 0);
    expect(next).toBe(seq + 1);
    const snapshot = aggregator.snapshot();
    expect(snapshot).toMatchObject({ version: 2, watermark: v1.watermark, lastSequenceNumber: seq });
    expect(snapshot.windows).toEqual(v1.windows);
    expect(aggregator.drainEmitted()).toEqual(v1.pending);
  });
});
