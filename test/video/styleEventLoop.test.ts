import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectModel } from '../../src/onnx/modelInfo.js';
import { createFrameStylizer, type FrameStylizer } from '../../src/video/style/frameStylizer.js';
import { styleSpecOf } from '../../src/video/style/styleSpec.js';
import { buildToonModel } from '../../src/video/style/toonModel.js';

/** Runs `work` while a 10 ms timer ticks; returns how long it took and the longest gap between ticks. */
async function eventLoopGap(work: () => Promise<unknown>): Promise<{ ms: number; maxGap: number }> {
  let last = performance.now();
  let maxGap = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
  }, 10);
  const started = performance.now();
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return { ms: performance.now() - started, maxGap: Math.max(maxGap, performance.now() - last) };
}

describe("the style model and the worker's event loop", () => {
  let stylizer: FrameStylizer;
  const W = 1280,
    H = 720;
  const frames = new Uint8Array(2 * W * H * 3).map((_, i) => (i * 7) & 0xff);

  beforeAll(async () => {
    const bytes = buildToonModel();
    stylizer = await createFrameStylizer(bytes, styleSpecOf({ ...inspectModel(bytes), ref: 'toon@1' }), {
      executionProvider: 'cpu',
      label: 'toon@1',
    });
    await stylizer.stylize(frames, 2, W, H); // warm up
  });
  afterAll(async () => {
    await stylizer?.dispose();
  });

  // Fixed (src/video/style/styleSession.ts): a batch used to block the worker's event loop for its
  // whole run (mosaic, 2 frames of 720x720: 1.84 s run, 1.74 s without a single timer tick), so the
  // peek-lock renewal timer (every lock/3, src/hosting/messagePump.ts) could not run, a range could
  // lose its lock mid-run and be redelivered, and the ffmpeg pipes stalled. The session now runs on a
  // worker thread of its own.
  it('a batch leaves the event loop free (no gap over 100 ms while the model runs)', async () => {
    // Batches back to back for at least 300 ms, however fast this machine runs the model.
    const { ms, maxGap } = await eventLoopGap(async () => {
      const started = performance.now();
      do await stylizer.stylize(frames, 2, W, H);
      while (performance.now() - started < 300);
    });
    expect(ms).toBeGreaterThan(150); // the batch is long enough for the check to mean something
    expect(maxGap, `the event loop stalled ${Math.round(maxGap)} ms of a ${Math.round(ms)} ms batch`).toBeLessThan(100);
  });
});
