import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createFsBlobStore } from '../../src/adapters/local/fsBlobStore.js';
import { CONTAINERS } from '../../src/core/jobNaming.js';
import { createModelRegistry } from '../../src/registry/modelRegistry.js';
import { BUILTIN_TOON, registryStyles } from '../../src/adapters/models/registryStyles.js';
import type { FrameStylizer } from '../../src/video/style/frameStylizer.js';

// Every stylizer registryStyles makes, so the test can kill one as a dying session thread would.
const made = vi.hoisted(() => [] as FrameStylizer[]);
vi.mock('../../src/video/style/frameStylizer.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/video/style/frameStylizer.js')>();
  return {
    ...original,
    createFrameStylizer: async (...args: Parameters<typeof original.createFrameStylizer>) => {
      const stylizer = await original.createFrameStylizer(...args);
      made.push(stylizer);
      return stylizer;
    },
  };
});

describe('registryStyles', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-styles-'));
  const blobs = createFsBlobStore({ root: dir });
  afterAll(async () => {
    await Promise.all(made.map((s) => s.dispose()));
    await blobs.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads a model once per process, and loads it afresh when its stylizer has died instead of failing every later shard', async () => {
    for (const c of Object.values(CONTAINERS)) await blobs.ensureContainer(c);
    const styles = registryStyles(createModelRegistry(blobs), { executionProvider: 'cpu', batch: 2 });
    const pinned = await styles.pin(BUILTIN_TOON);
    // A transform owns the frames it is given: each call gets its own.
    const frames = () => new Uint8Array(2 * 8 * 8 * 3).map((_, i) => (i * 37) % 256);

    const first = await styles.open(pinned);
    const given = frames();
    const styled = await first.transform(8, 8)(given, 2);
    expect(given.length).toBe(0); // moved to the session's thread, not copied
    expect(await (await styles.open(pinned)).transform(8, 8)(frames(), 2)).toEqual(styled);
    expect(made).toHaveLength(1); // cached: one session per model version

    await made[0]!.dispose(); // as when its session thread exits: every run on it would now fail
    expect(made[0]!.alive).toBe(false);
    await expect(first.transform(8, 8)(frames(), 2)).rejects.toThrow(/disposed/);

    const again = await styles.open(pinned);
    expect(made).toHaveLength(2);
    expect(made[1]!.alive).toBe(true);
    expect(await again.transform(8, 8)(frames(), 2)).toEqual(styled);
  });
});
