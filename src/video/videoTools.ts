import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { randomUUID } from 'node:crypto';
import { InputError, NotFoundError, PermanentError } from '../core/errors.js';
import { fitGeometry } from '../core/framePlan.js';
import type { FrameRange } from '../core/frameRange.js';
import type { BlobStore } from '../ports/blobStore.js';
import type { PipelineTimings, RenderRequest, VideoTools } from '../ports/video.js';
import { decodeArgs, encodeArgs, passthroughArgs, type EncodeSettings, type SeekOptions } from './ffmpeg/args.js';
import { DEFAULT_VIDEO_CONTAINERS } from './ffmpeg/inputs.js';
import { runTool, trimStderr } from './ffmpeg/tool.js';
import { runFramePipeline } from './framePipeline.js';
import { probeVideo } from './probe.js';
import { stitchVideo } from './stitch.js';

/**
 * The ffmpeg-backed VideoTools over a blob store. A source is read only as a local file in one of
 * `containers` (the accepted ones, TESSERA_VIDEO_CONTAINERS), by every probe, decode and stitch.
 */
export function createVideoTools(
  blobs: BlobStore,
  encode: EncodeSettings,
  containers: readonly string[] = DEFAULT_VIDEO_CONTAINERS,
): VideoTools {
  return {
    async localCopy(blob, path) {
      if ((await stat(path).catch(() => undefined))?.isFile()) return;
      const label = `${blob.container}/${blob.name}`;
      const download = await blobs.get(blob.container, blob.name).catch((error: unknown) => {
        throw error instanceof NotFoundError
          ? new InputError(label, 'the input blob no longer exists', { cause: error })
          : error;
      });
      if (download.properties.etag !== blob.etag) {
        download.stream.destroy();
        throw new InputError(
          label,
          `the blob changed after it was submitted (ETag ${download.properties.etag}, expected ${blob.etag}); submit the new version`,
        );
      }
      await mkdir(dirname(path), { recursive: true });
      const temp = `${path}.${randomUUID()}.partial`;
      try {
        await pipeline(download.stream, createWriteStream(temp));
        await rename(temp, path);
      } finally {
        await rm(temp, { force: true });
      }
    },
    async upload(path, blob, metadata, contentType) {
      await blobs.put(blob.container, blob.name, createReadStream(path), { metadata, contentType });
    },
    async removeLocal(path) {
      await rm(path, { recursive: true, force: true });
    },
    probe: (path, label, options) => probeVideo(path, label, { ...options, formats: containers }),
    async renderSegment(o) {
      await mkdir(dirname(o.output), { recursive: true });
      // A seek that lands past the range's first frame (a demuxer that seeks otherwise, an open GOP
      // whose decoder waits for the next keyframe) delivers too few frames, never others: the
      // range's trim ends where it ends. That is not the input's fault, so the range is decoded
      // again, from the accurate seek after a keyframe seek, then from the file's start. A video
      // that is really short fails every attempt, and the last attempt's error stands.
      const attempts = fallbacks(o.range);
      const missed: string[] = [];
      for (let i = 0; ; i++) {
        try {
          const timings = await render(o, attempts[i]!);
          return missed.length > 0 ? { ...timings, reseeked: missed.join('; ') } : timings;
        } catch (error) {
          const short = error instanceof PermanentError && error.code === 'FrameCountMismatch';
          if (!short || i + 1 >= attempts.length) throw error;
          missed.push(`${attempts[i]!.name}: ${error.message}`);
          o.signal?.throwIfAborted();
        }
      }
    },
    stitch: (o) => stitchVideo({ ...o, formats: containers }),
  };

  function render(o: RenderRequest, seek: SeekOptions): Promise<PipelineTimings> {
    const { stream, ticks } = o.range;
    const count = o.range.end - o.range.start;
    if (!o.style) return passthrough(o, seek, encode, containers);
    const fit = fitGeometry(stream.width, stream.height, o.style.fixedSize, o.fit);
    return runFramePipeline({
      decodeArgs: decodeArgs(o.input, {
        streamIndex: stream.index,
        ...seek,
        count,
        width: stream.width,
        height: stream.height,
        fit,
        threads: encode.threads,
        formats: containers,
      }),
      encodeArgs: encodeArgs(o.output, {
        width: stream.width,
        height: stream.height,
        fit,
        rate: stream.rate,
        settings: encode,
        ticks,
        label: o.label,
        color: stream.color,
      }),
      frameBytes: fit.modelWidth * fit.modelHeight * 3,
      frames: count,
      batch: Math.max(1, Math.min(o.batch, o.style.maxBatch)),
      transform: o.style.transform(fit.modelWidth, fit.modelHeight),
      label: o.label,
      signal: o.signal,
      onLastBatch: o.onLastBatch,
    });
  }
}

/**
 * How a range is decoded, in the order tried: as planned; for a range with a keyframe seek, from
 * the accurate seek (as ranges planned before keyframe seeks are); and, for a range that does not
 * start at frame 0, from the file's start.
 */
function fallbacks(range: FrameRange): (SeekOptions & { name: string })[] {
  const seekSeconds = range.seekSeconds ?? undefined;
  const { keyframeSeekSeconds, endSeconds } = range;
  return [
    { name: 'seek', seekSeconds, keyframeSeekSeconds, endSeconds },
    ...(keyframeSeekSeconds === undefined ? [] : [{ name: 'accurate seek', seekSeconds, endSeconds }]),
    ...(seekSeconds === undefined ? [] : [{ name: 'from the start', seekSeconds, endSeconds, fromStart: true }]),
  ];
}

/** A range re-encoded by one ffmpeg with no model: checked for its exact frame count (ffmpeg's own report) like a styled one. */
async function passthrough(
  o: RenderRequest,
  seek: SeekOptions,
  encode: EncodeSettings,
  formats: readonly string[],
): Promise<PipelineTimings> {
  const started = performance.now();
  const { stream } = o.range;
  const count = o.range.end - o.range.start;
  const args = passthroughArgs(o.input, o.output, {
    streamIndex: stream.index,
    ...seek,
    count,
    width: stream.width,
    height: stream.height,
    rate: stream.rate,
    settings: encode,
    ticks: o.range.ticks,
    label: o.label,
    color: stream.color,
    formats,
  });
  const run = await runTool('ffmpeg', args, { signal: o.signal });
  o.signal?.throwIfAborted();
  if (run.code !== 0)
    throw new PermanentError(`${o.label}: ffmpeg could not re-encode the frames: ${trimStderr(run.stderr)}`, {
      code: 'DecodeFailed',
    });
  const written = writtenFrames(run.stdout.toString('utf8'));
  if (written !== count)
    throw new PermanentError(
      `${o.label}: re-encoded ${written} frames, expected ${count} (truncated or corrupt video?)`,
      {
        code: 'FrameCountMismatch',
      },
    );
  return { modelMs: 0, decodeWaitMs: 0, encodeWaitMs: performance.now() - started };
}

/** The frame count of ffmpeg's last progress report (`-progress`), NaN when it made none. */
function writtenFrames(progress: string): number {
  const last = [...progress.matchAll(/^frame=(\d+)$/gm)].at(-1);
  return last ? Number(last[1]) : NaN;
}
