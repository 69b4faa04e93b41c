/** How many threads each ffmpeg of a segment gets: the setting, its default, and the arguments it becomes. */
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { fitGeometry } from '../../src/core/framePlan.js';
import { decodeArgs, encodeArgs, passthroughArgs } from '../../src/video/ffmpeg/args.js';

const fit = fitGeometry(64, 48, undefined, 'stretch');
const rate = { num: 25, den: 1 };
const range = { streamIndex: 0, seekSeconds: 1.5, count: 10, width: 64, height: 48 };

/** Every `-threads` value, and whether it came before the input (a decoder option) or after. */
function threads(args: readonly string[]): { before: string[]; after: string[] } {
  const input = args.indexOf('-i');
  const at = args.flatMap((a, i) => (a === '-threads' ? [i] : []));
  return {
    before: at.filter((i) => i < input).map((i) => args[i + 1]!),
    after: at.filter((i) => i > input).map((i) => args[i + 1]!),
  };
}

describe('ffmpeg threads of a segment', () => {
  it('default to the cores shared out between the workers, at least 1; 0 means ffmpeg chooses', () => {
    const cores = availableParallelism();
    expect(loadConfig({ TESSERA_WORKERS: '1' }).video.ffmpegThreads).toBe(cores);
    expect(loadConfig({ TESSERA_WORKERS: '2' }).video.ffmpegThreads).toBe(Math.max(1, Math.floor(cores / 2)));
    expect(loadConfig({ TESSERA_WORKERS: String(cores * 4) }).video.ffmpegThreads).toBe(1);
    expect(loadConfig({ TESSERA_VIDEO_FFMPEG_THREADS: '0' }).video.ffmpegThreads).toBe(0);
    expect(() => loadConfig({ TESSERA_VIDEO_FFMPEG_THREADS: '-1' })).toThrow(/TESSERA_VIDEO_FFMPEG_THREADS/);
  });

  it('go to the decoder (before the input) and to x264 (after it); none at all when ffmpeg chooses', () => {
    const settings = (n: number) => ({ crf: 18, preset: 'veryfast', threads: n });
    expect(threads(decodeArgs('in.mp4', { ...range, fit, threads: 2 }))).toEqual({ before: ['2'], after: [] });
    expect(threads(encodeArgs('out.mp4', { width: 64, height: 48, fit, rate, settings: settings(2) }))).toEqual({
      before: [],
      after: ['2'],
    });
    expect(threads(passthroughArgs('in.mp4', 'out.mp4', { ...range, rate, settings: settings(1) }))).toEqual({
      before: ['1'],
      after: ['1'],
    });
    expect(threads(passthroughArgs('in.mp4', 'out.mp4', { ...range, rate, settings: settings(0) }))).toEqual({
      before: [],
      after: [],
    });
    expect(threads(decodeArgs('in.mp4', { ...range, fit }))).toEqual({ before: [], after: [] });
  });
});
