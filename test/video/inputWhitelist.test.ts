import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { fitGeometry } from '../../src/core/framePlan.js';
import { InputError } from '../../src/core/errors.js';
import { decodeArgs, encodeArgs, passthroughArgs, stitchArgs } from '../../src/video/ffmpeg/args.js';
import { unguardedInputs } from '../../src/video/ffmpeg/inputs.js';
import { runTool, spawnTool } from '../../src/video/ffmpeg/tool.js';
import { probeVideo } from '../../src/video/probe.js';
import { mediaDir } from '../support/video/media.js';

const media = mediaDir('tessera-whitelist-');
afterAll(() => media.cleanup());

/**
 * A FIFO that nobody writes to, and a watcher that learns whether anyone opened it for reading: its
 * own open for writing completes only then (and closes at once, so a reader gets end-of-file rather
 * than hanging). `release` ends the watch (opening the FIFO itself if nobody did).
 */
function watchedFifo(name: string): { path: string; opened: () => boolean; release: () => Promise<void> } {
  const path = media.file(name);
  execFileSync('mkfifo', [path]);
  let opened = false;
  const writer = open(path, 'w').then((handle) => {
    opened = true;
    return handle.close();
  });
  return {
    path,
    opened: () => opened,
    async release() {
      const reader = opened ? undefined : openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
      await writer;
      if (reader !== undefined) closeSync(reader);
    },
  };
}

/** An `.mp4` that is really an HLS playlist naming a local file (the segment: the FIFO). */
function playlistNaming(target: string, name: string): string {
  const path = media.file(name);
  writeFileSync(path, `#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n${target}\n#EXT-X-ENDLIST\n`);
  return path;
}

describe('ffprobe and ffmpeg read sources only as local files of the accepted containers', () => {
  it('an .mp4 that is an HLS playlist is rejected with a clear error, and the file it names is never opened', async () => {
    const fifo = watchedFifo('segment.ts');
    try {
      const playlist = playlistNaming(fifo.path, 'clip.mp4');
      const error = await probeVideo(playlist, 'inbox/clip.mp4').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(InputError);
      expect((error as Error).message).toBe(
        'inbox/clip.mp4: its contents are hls, not one of the accepted containers (mov, mp4, matroska, webm, avi, mpegts; TESSERA_VIDEO_CONTAINERS); nothing it names was opened',
      );
      await new Promise((r) => setTimeout(r, 200));
      expect(fifo.opened()).toBe(false);
    } finally {
      await fifo.release();
    }
  });

  it('the decoder refuses it too, whatever the probe said', async () => {
    const fifo = watchedFifo('segment2.ts');
    try {
      const playlist = playlistNaming(fifo.path, 'clip2.mp4');
      const fit = fitGeometry(64, 48, undefined, 'stretch');
      const args = decodeArgs(playlist, {
        streamIndex: 0,
        seekSeconds: undefined,
        count: 1,
        width: 64,
        height: 48,
        fit,
      });
      const run = await runTool('ffmpeg', args);
      expect(run.code).not.toBe(0);
      expect(run.stderr).toMatch(/\[hls @ [^\]]+\] Format not on whitelist/);
      await new Promise((r) => setTimeout(r, 200));
      expect(fifo.opened()).toBe(false);
    } finally {
      await fifo.release();
    }
  });

  it('every argument list the video layer builds whitelists each input, and spawnTool refuses one that does not', () => {
    const fit = fitGeometry(64, 48, undefined, 'stretch');
    const rate = { num: 25, den: 1 };
    const settings = { crf: 23, preset: 'ultrafast' };
    const range = { streamIndex: 0, seekSeconds: 1, count: 10, width: 64, height: 48 };
    const built = [
      decodeArgs('in.mp4', { ...range, fit }),
      encodeArgs('out.mp4', { width: 64, height: 48, fit, rate, settings }),
      passthroughArgs('in.mp4', 'out.mp4', { ...range, rate, settings }),
      stitchArgs('list.ffconcat', 'in.mp4', 'out.mp4', { audioStreamIndex: 1, videoOffset: 0.5, rate }),
    ];
    for (const args of built) expect(unguardedInputs('ffmpeg', args), args.join(' ')).toBe(0);
    expect(
      stitchArgs('l', 'in.mkv', 'o.mp4', { audioStreamIndex: 1, videoOffset: 0, rate, formats: ['matroska'] }),
    ).toEqual(expect.arrayContaining(['-format_whitelist', 'concat,mov', 'matroska']));
    expect(() => spawnTool('ffmpeg', ['-v', 'error', '-i', 'in.mp4', '-f', 'null', '-'])).toThrow(
      /every input needs -protocol_whitelist and -format_whitelist/,
    );
    expect(() => spawnTool('ffprobe', ['-v', 'error', '-show_format', 'in.mp4'])).toThrow(/every input needs/);
  });
});
