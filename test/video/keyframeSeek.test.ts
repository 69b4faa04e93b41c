/**
 * How a range is sought: ranges that start on a keyframe seek past it (`-noaccurate_seek`) and keep
 * their frames by time, exactly their frames in every container and GOP shape; every range ends by
 * time, so a seek that lands past its first frame is caught by the count and decoded again (from
 * the accurate seek, then from the file's start); an AVI (a tick a frame) cuts where ffmpeg's
 * rounding cannot keep the frame before a range.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFsBlobStore } from '../../src/adapters/local/fsBlobStore.js';
import { fitGeometry, rangeSeek } from '../../src/core/framePlan.js';
import type { FrameRange } from '../../src/core/frameRange.js';
import { decodeArgs, type SeekOptions } from '../../src/video/ffmpeg/args.js';
import { runFramePipeline } from '../../src/video/framePipeline.js';
import { probeVideo, type VideoProbe } from '../../src/video/probe.js';
import { createVideoTools } from '../../src/video/videoTools.js';
import { ffmpeg, makeVideo, md5, mediaDir, runTool, SKYLINE, streamFacts, videoOf } from '../support/video/media.js';

const W = 64,
  H = 48,
  FRAME = W * H * 3;
const fit = fitGeometry(W, H, undefined, 'stretch');

/** Frame md5s of a decode, and how many frames ffmpeg decoded for it (its -v verbose report). */
async function decodeRange(
  input: string,
  range: { start: number; end: number; seek: SeekOptions },
): Promise<{ sums: string[]; decoded: number }> {
  const args = decodeArgs(input, {
    streamIndex: 0,
    formats: ['mov', 'mp4', 'matroska', 'webm', 'avi', 'mpegts'],
    ...range.seek,
    count: range.end - range.start,
    width: W,
    height: H,
    fit,
  }).map((a, i, all) => (all[i - 1] === '-v' ? 'verbose' : a));
  const run = await runTool('ffmpeg', args);
  expect(run.code, run.stderr).toBe(0);
  const sums: string[] = [];
  for (let at = 0; at + FRAME <= run.stdout.length; at += FRAME) sums.push(md5(run.stdout.subarray(at, at + FRAME)));
  const decoded = /Input stream #0:0 \(video\): \d+ packets read \(\d+ bytes\); (\d+) frames decoded/.exec(run.stderr);
  return { sums, decoded: Number(decoded?.[1]) };
}

describe('keyframe seeks, with B-frames, in MP4 and Matroska', () => {
  const media = mediaDir();
  const clips: { name: string; file: string; probe?: VideoProbe; full?: string[] }[] = [
    { name: 'mp4', file: media.file('bframes.mp4') },
    { name: 'mkv', file: media.file('bframes.mkv') },
  ];

  beforeAll(async () => {
    // 100 frames, a keyframe every 20, two B-frames between references: frames are coded out of order.
    await makeVideo(clips[0]!.file, {
      rate: 25,
      frames: 100,
      codec: [
        '-c:v',
        'libx264',
        '-preset',
        'veryfast',
        '-bf',
        '2',
        '-g',
        '20',
        '-keyint_min',
        '20',
        '-sc_threshold',
        '0',
      ],
    });
    await ffmpeg('-i', clips[0]!.file, '-c', 'copy', clips[1]!.file);
    for (const clip of clips) {
      clip.probe = await probeVideo(clip.file, clip.name);
      clip.full = (await decodeRange(clip.file, { start: 0, end: 100, seek: { seekSeconds: undefined } })).sums;
    }
  });
  afterAll(() => media.cleanup());

  it('the clips have B-frames and keyframes every 20 frames', async () => {
    for (const clip of clips) {
      expect(clip.probe!.keyframes, clip.name).toEqual([0, 20, 40, 60, 80]);
      expect(clip.full, clip.name).toHaveLength(100);
    }
    const facts = await runTool('ffprobe', [
      '-v',
      'error',
      '-show_entries',
      'stream=has_b_frames',
      '-of',
      'csv=p=0',
      clips[0]!.file,
    ]);
    expect(Number(facts.stdout.toString().trim())).toBeGreaterThan(0);
  });

  const ranges: [number, number][] = [
    [20, 40],
    [40, 41],
    [40, 47],
    [60, 100],
    [80, 100],
    [21, 40],
    [39, 60],
  ];
  it(`ranges ${ranges.map(([a, b]) => `[${a}, ${b})`).join(' ')} decode exactly the frames of a full decode`, async () => {
    for (const clip of clips) {
      const p = clip.probe!;
      for (const [start, end] of ranges) {
        const seek = rangeSeek(p.framePts, p.keyframes, start, end);
        expect(seek.keyframeSeekSeconds !== undefined, `${clip.name} [${start}, ${end})`).toBe(
          p.keyframes.includes(start),
        );
        const { sums } = await decodeRange(clip.file, { start, end, seek });
        expect(sums, `${clip.name} [${start}, ${end})`).toEqual(clip.full!.slice(start, end));
      }
    }
  });

  it('in MP4 (which seeks by presentation time) a range on a keyframe decodes from it: about its own frames, not a GOP more', async () => {
    const p = clips[0]!.probe!;
    const seek = rangeSeek(p.framePts, p.keyframes, 40, 60);
    const fast = await decodeRange(clips[0]!.file, { start: 40, end: 60, seek });
    const accurate = await decodeRange(clips[0]!.file, { start: 40, end: 60, seek: { seekSeconds: seek.seekSeconds } });
    expect(fast.sums).toEqual(accurate.sums);
    expect(fast.decoded).toBeLessThan(20 + 4);
    expect(accurate.decoded).toBeGreaterThanOrEqual(40);
  });
});

describe('a keyframe seek that lands past the range (as a demuxer that seeks otherwise might)', () => {
  const media = mediaDir();
  const blobs = createFsBlobStore({ root: media.file('blobs') });
  const tools = createVideoTools(blobs, { crf: 23, preset: 'ultrafast', threads: 1 });
  let probe: VideoProbe;

  beforeAll(async () => {
    probe = await probeVideo(SKYLINE, 'skyline');
  });
  afterAll(async () => {
    await blobs.close();
    media.cleanup();
  });

  /** [250, 300) of the fixture (250 is a keyframe), its keyframe seek moved past frame 276, the next keyframe. */
  function lateRange(): FrameRange {
    const seek = rangeSeek(probe.framePts, probe.keyframes, 250, 300);
    const { index, width, height, frameRate: rate } = probe.video;
    return {
      start: 250,
      end: 300,
      seekSeconds: seek.seekSeconds!,
      keyframeSeekSeconds: (probe.framePts[276]! + probe.framePts[277]!) / 2,
      endSeconds: seek.endSeconds!,
      stream: { index, width, height, rate },
    };
  }

  it('the decoder delivers too few frames, never frames from outside the range', async () => {
    const range = lateRange();
    const pipeline = runFramePipeline({
      decodeArgs: decodeArgs(SKYLINE, {
        streamIndex: 0,
        seekSeconds: range.seekSeconds!,
        keyframeSeekSeconds: range.keyframeSeekSeconds,
        endSeconds: range.endSeconds,
        count: 50,
        width: 640,
        height: 360,
        fit: fitGeometry(640, 360, { width: W, height: H }, 'stretch'),
      }),
      encodeArgs: [
        ...['-v', 'error', '-protocol_whitelist', 'pipe', '-format_whitelist', 'rawvideo'],
        ...['-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${W}x${H}`, '-i', 'pipe:0', '-f', 'null', '-'],
      ],
      frameBytes: FRAME,
      frames: 50,
      batch: 8,
      label: 'late [250, 300)',
    });
    // Frames 276 to 299 only: 24 of the 50.
    await expect(pipeline).rejects.toMatchObject({
      code: 'FrameCountMismatch',
      message: expect.stringContaining('decoded 24 frames, expected 50'),
    });
  });

  it('renderSegment decodes the range again from an accurate seek: the same segment as a range that seeks right', async () => {
    const render = (range: FrameRange, output: string) =>
      tools.renderSegment({ input: SKYLINE, output, range, fit: 'stretch', style: undefined, batch: 8, label: output });
    const late = media.file('out/late.mp4');
    const right = media.file('out/right.mp4');
    const timings = await render(lateRange(), late);
    // What the first attempt said, for the worker's log.
    expect(timings.reseeked).toMatch(/re-encoded 24 frames, expected 50/);
    const { keyframeSeekSeconds: _, ...accurate } = lateRange();
    await render(accurate, right);
    expect(videoOf(await streamFacts(late)).packets).toBe(50);
    const frames = (file: string) => ffmpeg('-i', file, '-f', 'framemd5', '-');
    expect((await frames(late)).toString()).toBe((await frames(right)).toString());
  });
});

describe('containers that do not seek by presentation time', () => {
  const media = mediaDir();
  const blobs = createFsBlobStore({ root: media.file('blobs') });
  const tools = createVideoTools(blobs, { crf: 23, preset: 'ultrafast', threads: 1 }, [
    ...['mov', 'mp4', 'matroska', 'webm', 'avi', 'mpegts'],
  ]);
  const avi = media.file('ntsc.avi');
  const ts = media.file('open-gop.ts');
  const full = new Map<string, string[]>();
  const probes = new Map<string, VideoProbe>();
  const formats = ['mov', 'mp4', 'matroska', 'webm', 'avi', 'mpegts'];

  beforeAll(async () => {
    // An AVI's time base is a frame (1001/30000 s here): a midpoint between frames is half a tick.
    const src = ['-f', 'lavfi', '-i', `testsrc=size=${W}x${H}:rate=30000/1001`, '-pix_fmt', 'yuv420p'];
    await ffmpeg(...src, '-frames:v', '120', '-c:v', 'libx264', '-preset', 'ultrafast', '-bf', '0', '-g', '20', avi);
    // Open GOPs (keyframes that are not IDR) in MPEG-TS: a seek lands where its decoder cannot start.
    const mp4 = media.file('open-gop.mp4');
    const x264 = ['-c:v', 'libx264', '-preset', 'veryfast', '-bf', '2'];
    const lavfi25 = ['-f', 'lavfi', '-i', `testsrc=size=${W}x${H}:rate=25`, '-pix_fmt', 'yuv420p', '-frames:v', '100'];
    const openGop = ['-x264-params', 'open-gop=1:keyint=20:min-keyint=20:scenecut=0'];
    await ffmpeg(...lavfi25, ...x264, ...openGop, mp4);
    await ffmpeg('-i', mp4, '-c', 'copy', ts);
    for (const file of [avi, ts]) {
      const probe = await probeVideo(file, file, { formats });
      probes.set(file, probe);
      full.set(
        file,
        (await decodeRange(file, { start: 0, end: probe.framePts.length, seek: { seekSeconds: undefined } })).sums,
      );
    }
  });
  afterAll(async () => {
    await blobs.close();
    media.cleanup();
  });

  it('an AVI: ranges at keyframes and between them decode exactly their frames (a midpoint kept the frame before)', async () => {
    const p = probes.get(avi)!;
    expect(p.keyframes).toEqual([0, 20, 40, 60, 80, 100]);
    for (const [start, end] of [
      [40, 60],
      [41, 60],
      [40, 120],
      [99, 101],
    ] as const) {
      const seek = rangeSeek(p.framePts, [], start, end);
      const { sums } = await decodeRange(avi, { start, end, seek });
      expect(sums, `[${start}, ${end})`).toEqual(full.get(avi)!.slice(start, end));
    }
  });

  it('an open-GOP MPEG-TS: a range its seek cannot start is decoded from the file start, never as other frames', async () => {
    const p = probes.get(ts)!;
    expect(p.keyframes).toEqual([0, 20, 40, 60, 80]);
    const seek = rangeSeek(p.framePts, [], 23, 40);
    // The accurate seek delivers nothing of [23, 40) (it used to deliver frames 40 to 56 instead).
    expect((await decodeRange(ts, { start: 23, end: 40, seek })).sums).toEqual([]);
    expect((await decodeRange(ts, { start: 23, end: 40, seek: { ...seek, fromStart: true } })).sums).toEqual(
      full.get(ts)!.slice(23, 40),
    );
    const { index, width, height, frameRate: rate } = p.video;
    const output = media.file('out/open-gop.mp4');
    const range: FrameRange = {
      start: 23,
      end: 40,
      seekSeconds: seek.seekSeconds!,
      endSeconds: seek.endSeconds,
      stream: { index, width, height, rate },
    };
    const timings = await tools.renderSegment({
      input: ts,
      output,
      range,
      fit: 'stretch',
      style: undefined,
      batch: 8,
      label: 'open-gop [23, 40)',
    });
    expect(timings.reseeked).toMatch(/^seek: .*re-encoded 0 frames, expected 17/);
    expect(videoOf(await streamFacts(output)).packets).toBe(17);
  });
});
