import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { InputError } from '../../src/core/errors.js';
import type { VideoLimits } from '../../src/core/videoLimits.js';
import { probeVideo, type VideoProbe } from '../../src/video/probe.js';
import { validateProbe } from '../../src/core/videoLimits.js';
import {
  ffmpeg,
  firstFrameGray,
  makeVfrVideo,
  makeVideo,
  mediaDir,
  SKYLINE,
  SKYLINE_RATE,
  streamFacts,
  truncateAfterPackets,
  videoOf,
  withRotateTag,
} from '../support/video/media.js';

const defaults: VideoLimits = loadConfig({}).video;

/** The InputError a promise rejects with (fails the test if it resolves or throws something else). */
async function inputError(p: Promise<unknown>): Promise<InputError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InputError);
  return error as InputError;
}

function syncInputError(f: () => void): InputError {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return error as InputError;
  }
  throw new Error('expected an InputError');
}

describe('probeVideo on the skyline fixture', () => {
  let probe: VideoProbe;
  beforeAll(async () => {
    probe = await probeVideo(SKYLINE, 'inbox/skyline.mp4');
  });

  it('counts 512 frames and takes the real rate 23040000/767849, not 30', () => {
    expect(probe.video.frameCount).toBe(512);
    expect(probe.framePts).toHaveLength(512);
    expect(probe.video.headerFrameCount).toBe(512);
    expect(probe.video.frameRate).toEqual(SKYLINE_RATE);
    expect(probe.video.timeBase).toEqual({ num: 1, den: 23040000 });
    expect(probe.video.frameRate.num / probe.video.frameRate.den).not.toBe(30);
    // Every frame's time is exact on the 767849-tick grid.
    probe.framePts.forEach((t, i) => expect(Math.abs(t - (i * 767849) / 23040000)).toBeLessThan(1e-9));
  });

  it('reads codec, size, audio (aac, 798 packets), no rotation, constant rate', () => {
    expect(probe.video).toMatchObject({
      codec: 'h264',
      width: 640,
      height: 360,
      codedWidth: 640,
      codedHeight: 360,
      rotation: 0,
      vfr: false,
      pixFmt: 'yuv420p',
    });
    expect(probe.audio).toMatchObject({ codec: 'aac', packets: 798, channels: 2, sampleRate: 48000 });
    expect(probe.container.split(',')).toContain('mp4');
    expect(probe.video.duration).toBeCloseTo((512 * 767849) / 23040000, 5);
    expect(() => validateProbe(probe, defaults, 'inbox/skyline.mp4')).not.toThrow();
  });

  it('without frame times (for verifying an output): the same streams and counts, no per-frame times', async () => {
    const light = await probeVideo(SKYLINE, 'inbox/skyline.mp4', { frameTimes: false });
    expect(light.framePts).toHaveLength(0);
    expect(light.keyframes).toEqual([]);
    expect(light.video).toEqual({ ...probe.video, vfr: false });
    expect(light.audio).toEqual(probe.audio);
    expect(probe.keyframes).toEqual([0, 18, 250, 276]);
  });
});

describe('probeVideo on generated media', () => {
  const media = mediaDir();
  const f = media.file;

  beforeAll(async () => {
    // A 64x48 frame with a white box in its top-left corner: where the box lands once decoded
    // upright tells which way the display matrix turns it (an oracle independent of probeVideo).
    await ffmpeg(
      '-f',
      'lavfi',
      '-i',
      'color=black:size=64x48:rate=10,drawbox=x=0:y=0:w=16:h=8:color=white:t=fill',
      '-frames:v',
      '3',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv444p',
      f('box.mp4'),
    );
    await Promise.all([
      withRotateTag(f('box.mp4'), f('rot90.mp4'), 90),
      withRotateTag(f('box.mp4'), f('rot270.mp4'), 270),
      withRotateTag(f('box.mp4'), f('rot180.mp4'), 180),
      makeVfrVideo(f('vfr.mp4')),
      makeVideo(f('silent.mp4')),
      makeVideo(f('odd.mp4'), { size: '33x17', pixFmt: 'yuv444p' }),
      makeVideo(f('one.mp4'), { frames: 1 }),
      makeVideo(f('twenty.mp4'), { frames: 20 }),
      makeVideo(f('ffv1.mkv'), { codec: ['-c:v', 'ffv1'] }),
      makeVideo(f('mpeg2.mp4'), { codec: ['-c:v', 'mpeg2video'] }),
      ffmpeg('-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-c:a', 'aac', f('audio-only.mp4')),
      ffmpeg(
        '-f',
        'lavfi',
        '-i',
        'color=red:size=4096x4096:rate=1',
        '-frames:v',
        '1',
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
        '-pix_fmt',
        'yuv420p',
        f('huge.mp4'),
      ),
    ]);
    await ffmpeg('-i', f('twenty.mp4'), '-c', 'copy', '-movflags', '+faststart', f('twenty-faststart.mp4'));
    writeFileSync(f('empty.mp4'), '');
    writeFileSync(f('text.mp4'), 'this is not a video\n'.repeat(20));
    for (const name of ['twenty', 'twenty-faststart']) {
      const bytes = readFileSync(f(`${name}.mp4`));
      writeFileSync(f(`${name}-half.mp4`), bytes.subarray(0, Math.floor(bytes.length / 2)));
    }
    await truncateAfterPackets(f('twenty-faststart.mp4'), f('twenty-cut.mp4'), 12);
  });
  afterAll(() => media.cleanup());

  /** The clockwise turn that ffmpeg's own upright decode applied, from where the top-left box went. */
  async function decodedTurn(file: string, width: number, height: number): Promise<number> {
    const px = await firstFrameGray(file, width, height);
    const at = (x: number, y: number) => px[y * width + x]! > 128;
    if (at(1, 1)) return 0;
    if (at(width - 2, 1)) return 90;
    if (at(width - 2, height - 2)) return 180;
    if (at(1, height - 2)) return 270;
    throw new Error('box not found');
  }

  it('rotation metadata: the clockwise rotation ffmpeg displays, and the display size swapped', async () => {
    for (const name of ['rot90', 'rot270']) {
      const p = await probeVideo(f(`${name}.mp4`), `inbox/${name}.mp4`);
      expect(p.video).toMatchObject({ codedWidth: 64, codedHeight: 48, width: 48, height: 64 });
      // ffmpeg 5.1 writes the `rotate=90` tag as a display matrix that turns the picture 90°
      // counter-clockwise (ffprobe reports rotation 90, i.e. CCW). What matters is that the probe
      // agrees with what ffmpeg's upright decode (which the worker uses) actually does.
      expect(p.video.rotation, name).toBe(await decodedTurn(f(`${name}.mp4`), 48, 64));
      expect([90, 270]).toContain(p.video.rotation);
    }
    const p90 = await probeVideo(f('rot90.mp4'), 'inbox/rot90.mp4');
    expect(videoOf(await streamFacts(f('rot90.mp4'))).rotation).toBe(90);
    expect(p90.video.rotation).toBe(270);
    const p180 = await probeVideo(f('rot180.mp4'), 'inbox/rot180.mp4');
    expect(p180.video).toMatchObject({ rotation: 180, width: 64, height: 48 });
    expect(await decodedTurn(f('rot180.mp4'), 64, 48)).toBe(180);
  });

  it('variable frame rate: detected, the frame count and every timestamp exact', async () => {
    const p = await probeVideo(f('vfr.mp4'), 'inbox/vfr.mp4');
    expect(p.video.vfr).toBe(true);
    expect(p.video.frameCount).toBe(15);
    const expected = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95];
    expect(Array.from(p.framePts).map((t) => Math.round(t * 1000) / 1000)).toEqual(expected);
    expect(p.video.frameRate.num / p.video.frameRate.den).toBeCloseTo(15 / 1.05, 6); // the average, not r_frame_rate's 20
  });

  it('no audio, odd dimensions (yuv444p), one frame', async () => {
    const silent = await probeVideo(f('silent.mp4'), 'inbox/silent.mp4');
    expect(silent.audio).toBeUndefined();
    expect(silent.video).toMatchObject({ frameCount: 10, frameRate: { num: 10, den: 1 }, vfr: false });
    const odd = await probeVideo(f('odd.mp4'), 'inbox/odd.mp4');
    expect(odd.video).toMatchObject({
      width: 33,
      height: 17,
      codedWidth: 33,
      codedHeight: 17,
      pixFmt: 'yuv444p',
      frameCount: 10,
    });
    const one = await probeVideo(f('one.mp4'), 'inbox/one.mp4');
    expect(one.video).toMatchObject({ frameCount: 1, vfr: false, width: 64, height: 48 });
    expect(Array.from(one.framePts)).toEqual([0]);
    for (const p of [silent, odd, one]) expect(() => validateProbe(p, defaults, 'x')).not.toThrow();
  });

  it('audio only: InputError "no video stream (audio only)"', async () => {
    const e = await inputError(probeVideo(f('audio-only.mp4'), 'inbox/a.mp4'));
    expect(e.message).toBe('inbox/a.mp4: no video stream (audio only)');
  });

  it('zero bytes: InputError "empty file"', async () => {
    const e = await inputError(probeVideo(f('empty.mp4'), 'inbox/empty.mp4'));
    expect(e.message).toMatch(/^inbox\/empty\.mp4: empty file/);
  });

  it("a text file renamed .mp4: InputError with ffprobe's trimmed stderr", async () => {
    const e = await inputError(probeVideo(f('text.mp4'), 'inbox/text.mp4'));
    expect(e.message).toMatch(/^inbox\/text\.mp4: not a readable video: .*Invalid data found when processing input/);
    expect(e.message).not.toContain('\n');
    expect(e.message.length).toBeLessThan(800);
    expect(e.input).toBe('inbox/text.mp4');
  });

  it('a truncated mp4 (first half of the bytes, index at the end): InputError', async () => {
    const e = await inputError(probeVideo(f('twenty-half.mp4'), 'inbox/half.mp4'));
    expect(e.message).toMatch(/^inbox\/half\.mp4: .*moov atom not found/);
  });

  // Fixed: a readable frame count below the index's declared count is an InputError naming both.
  for (const name of ['twenty-cut', 'twenty-faststart-half']) {
    it(`a truncated faststart mp4 (${name}): InputError, not a shorter video`, async () => {
      const error = await inputError(probeVideo(f(`${name}.mp4`), `inbox/${name}.mp4`));
      expect(error.message).toMatch(/truncated: its index declares \d+ video frames but only \d+ can be read/);
    });
  }

  it('unsupported codecs pass the probe and fail validateProbe naming the codec', async () => {
    const ffv1 = await probeVideo(f('ffv1.mkv'), 'inbox/x.mkv');
    expect(ffv1.video.codec).toBe('ffv1');
    expect(syncInputError(() => validateProbe(ffv1, defaults, 'inbox/x.mkv')).message).toMatch(
      /^inbox\/x\.mkv: video codec "ffv1" is not supported/,
    );
    const mpeg2 = await probeVideo(f('mpeg2.mp4'), 'inbox/m.mp4');
    expect(syncInputError(() => validateProbe(mpeg2, defaults, 'inbox/m.mp4')).message).toContain('"mpeg2video"');
  });

  it('huge declared dimensions: a lowered limit, and a real 4096x4096 file against the default 3840x2160', async () => {
    const skyline = await probeVideo(SKYLINE, 'inbox/skyline.mp4');
    const lowered = syncInputError(() =>
      validateProbe(skyline, { ...defaults, maxPixels: 640 * 360 - 1 }, 'inbox/skyline.mp4'),
    );
    expect(lowered.message).toBe(
      `inbox/skyline.mp4: frames of 640x360 (230400 pixels) exceed the limit of ${640 * 360 - 1} pixels`,
    );
    expect(() => validateProbe(skyline, { ...defaults, maxPixels: 640 * 360 }, 'x')).not.toThrow();

    expect(defaults.maxPixels).toBe(3840 * 2160);
    const huge = await probeVideo(f('huge.mp4'), 'inbox/huge.mp4');
    expect(huge.video).toMatchObject({ width: 4096, height: 4096, frameCount: 1 });
    expect(syncInputError(() => validateProbe(huge, defaults, 'inbox/huge.mp4')).message).toContain(
      '4096x4096 (16777216 pixels) exceed the limit of 8294400 pixels',
    );
  });

  it('other limits: duration, bytes, container', async () => {
    const p = await probeVideo(f('silent.mp4'), 'inbox/s.mp4');
    expect(syncInputError(() => validateProbe(p, { ...defaults, maxSeconds: 0.5 }, 'inbox/s.mp4')).message).toMatch(
      /duration 1\.0 s exceeds the limit of 0\.5 s/,
    );
    expect(syncInputError(() => validateProbe(p, { ...defaults, maxBytes: 10 }, 'inbox/s.mp4')).message).toMatch(
      /exceeds the limit of 10 bytes/,
    );
    expect(
      syncInputError(() => validateProbe(p, { ...defaults, containers: ['matroska'] }, 'inbox/s.mp4')).message,
    ).toMatch(/container "mov,mp4,.*" is not accepted/);
  });
});
