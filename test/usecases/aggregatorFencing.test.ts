import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/config.js';
import { aggregatorSettingsOf } from '../../src/config/useCaseSettings.js';
import { OwnershipLostError } from '../../src/core/errors.js';
import { CONTAINERS } from '../../src/core/jobNaming.js';
import { decodeWindowBatch } from '../../src/core/windowStore.js';
import { sendEvents } from '../../src/ingest/sendEvents.js';
import type { LocalContext } from '../../src/composition/local/localContext.js';
import type { BlobStore } from '../../src/ports/blobStore.js';
import { readBlobText } from '../../src/usecases/readBlobText.js';
import {
  aggregateStep,
  restorePartition,
  type AggregateDeps,
  type OwnedPartition,
} from '../../src/usecases/stream/aggregatePartition.js';
import { unscoredBatches } from '../../src/usecases/stream/streamBatches.js';
import { fixturesDir } from '../support/fixtures.js';
import { openContext, tempHome } from '../support/localHarness.js';

const LINES = readFileSync(join(fixturesDir, 'sensors/batchai-sensor_data.csv'), 'utf8').trim().split('\n');
const EVENTS = 4000;

/** One partition holding the fixture's first EVENTS readings. */
async function stream(): Promise<{ ctx: LocalContext; cleanup: () => Promise<void> }> {
  const home = tempHome();
  const config: Config = {
    ...home.config,
    stream: { ...home.config.stream, partitions: 1, maxPastSeconds: 20 * 365 * 86_400 },
  };
  const ctx = openContext(config);
  await ctx.ensureContainers();
  const csv = `${LINES[0]}\n${LINES.slice(1, EVENTS + 1).join('\n')}\n`;
  await sendEvents({
    limits: aggregatorSettingsOf(config).limits,
    log: ctx.aggregate.events,
    input: Readable.from([csv]),
    inputName: 'fixture',
  });
  return {
    ctx,
    cleanup: async () => {
      await ctx.close();
      home.cleanup();
    },
  };
}

/** The names of the windows container's blobs under `prefix`. */
async function windowBlobs(ctx: LocalContext, prefix: string): Promise<string[]> {
  const names: string[] = [];
  for await (const b of ctx.blobs.list(CONTAINERS.windows, prefix)) names.push(b.name);
  return names;
}

const deps = (ctx: LocalContext, ownerId: string, batchSize: number): AggregateDeps => ({
  ...ctx.aggregate,
  ownerId,
  batchSize,
  waitMs: 0,
});

/** Every window in the batch blobs, one key per (device, tag, start, revision), with its features. */
async function windowsWritten(ctx: LocalContext): Promise<string[]> {
  const out: string[] = [];
  for await (const b of ctx.blobs.list(CONTAINERS.windows, 'date=')) {
    for (const w of decodeWindowBatch(await readBlobText(ctx.blobs, CONTAINERS.windows, b.name)))
      out.push([w.device, w.tag, w.start, w.revision, w.count, w.mean, w.std, w.min, w.max].join(','));
  }
  return out.sort();
}

async function drain(d: AggregateDeps, owned: OwnedPartition, next: number): Promise<number> {
  for (let after = await aggregateStep(d, owned, next); after !== next; after = await aggregateStep(d, owned, next))
    next = after;
  return next;
}

describe('an aggregator that a newer owner replaced (an orphan that outlived its runtime)', () => {
  const open: { cleanup: () => Promise<void> }[] = [];
  afterEach(async () => {
    for (const s of open.splice(0)) await s.cleanup();
  });

  /** A stream whose one owner committed two steps (two window batches). */
  const twoCommittedSteps = async () => {
    const s = await stream();
    open.push(s);
    const d = deps(s.ctx, 'first', 1000);
    const first = await restorePartition(d, 0);
    await aggregateStep(d, first, await aggregateStep(d, first, first.next));
    return s;
  };

  it('can commit neither a checkpoint nor a window batch, so every window is written once, as one owner writes it', async () => {
    const reference = await stream();
    open.push(reference);
    const alone = deps(reference.ctx, 'alone', 500);
    expect(await drain(alone, await restorePartition(alone, 0), 0)).toBe(EVENTS);
    const expected = await windowsWritten(reference.ctx);
    expect(expected.length).toBeGreaterThan(100);

    const s = await stream();
    open.push(s);
    const oldDeps = deps(s.ctx, 'old runtime', 700);
    const old = await restorePartition(oldDeps, 0);
    const oldNext = await aggregateStep(oldDeps, old, await aggregateStep(oldDeps, old, old.next));
    expect(oldNext).toBe(1400);

    // A restarted runtime's aggregator claims the partition, with other step boundaries.
    const newDeps = deps(s.ctx, 'new runtime', 500);
    const current = await restorePartition(newDeps, 0);
    expect(current.lease.epoch).toBeGreaterThan(old.lease.epoch);
    expect(current.next).toBe(1400);
    const before = await windowsWritten(s.ctx);
    await expect(aggregateStep(oldDeps, old, oldNext)).rejects.toBeInstanceOf(OwnershipLostError);
    expect(await windowsWritten(s.ctx)).toEqual(before);
    expect((await s.ctx.aggregate.events.getCheckpoint(newDeps.consumerGroup, 0))?.sequenceNumber).toBe(1399);

    const next = await aggregateStep(newDeps, current, current.next);
    await expect(aggregateStep(oldDeps, old, oldNext)).rejects.toBeInstanceOf(OwnershipLostError);
    expect(await drain(newDeps, current, next)).toBe(EVENTS);
    await expect(aggregateStep(oldDeps, old, oldNext)).rejects.toBeInstanceOf(OwnershipLostError);

    const written = await windowsWritten(s.ctx);
    expect(new Set(written.map((w) => w.split(',').slice(0, 4).join(','))).size).toBe(written.length);
    expect(written).toEqual(expected);
  });

  it('a restart writes the batch of a step committed just before a crash, and removes the state of steps not committed', async () => {
    const s = await stream();
    open.push(s);
    const d = deps(s.ctx, 'first', 1000);
    const first = await restorePartition(d, 0);
    const next = await aggregateStep(d, first, first.next);
    const batches = await windowBlobs(s.ctx, 'date=');
    expect(batches.length).toBe(1);
    // The crash: the checkpoint was set, the batch never written.
    await s.ctx.blobs.delete(CONTAINERS.windows, batches[0]!);
    // And an orphan's step that never committed left its state behind.
    const orphan = await restorePartition(deps(s.ctx, 'orphan', 300), 0);
    await expect(aggregateStep(deps(s.ctx, 'orphan', 300), first, next)).rejects.toBeInstanceOf(OwnershipLostError);
    const again = await restorePartition(d, 0);
    expect(again.lease.epoch).toBeGreaterThan(orphan.lease.epoch);
    expect(again.next).toBe(next);
    const after = await windowBlobs(s.ctx, 'date=');
    expect(after).toEqual(batches);
    const states = await windowBlobs(s.ctx, '_state/');
    expect(states).toEqual([again.committedState]);
  });

  it('a run that reads the batches between a commit and its batch (the aggregator died there) still gets its windows', async () => {
    const s = await twoCommittedSteps();
    const batches = await windowBlobs(s.ctx, 'date=');
    expect(batches.length).toBe(2);
    const windows = await windowsWritten(s.ctx);
    // The crash: the second step's checkpoint was set, its batch never written, and no restart yet.
    await s.ctx.blobs.delete(CONTAINERS.windows, batches[1]!);
    expect(await unscoredBatches(s.ctx.aggregate)).toEqual(batches);
    expect(await windowsWritten(s.ctx)).toEqual(windows);
  });

  it('a run that finds the committed state gone between listing and reading it (a newer step superseded it) goes on', async () => {
    const s = await twoCommittedSteps();
    const batches = await windowBlobs(s.ctx, 'date=');
    // The aggregator deletes a superseded state once its successor's batch is written: here just as the run reads it.
    const blobs = s.ctx.blobs;
    const racing: BlobStore = Object.create(blobs) as BlobStore;
    racing.get = async (container: string, name: string) => {
      if (name.startsWith('_state/')) await blobs.delete(container, name);
      return blobs.get(container, name);
    };
    expect(await unscoredBatches({ ...s.ctx.aggregate, blobs: racing })).toEqual(batches);
  });
});
