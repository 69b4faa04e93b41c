import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { randomUUID } from 'node:crypto';
import { InputError, NotFoundError, PermanentError } from '../core/errors.js';
import { fitGeometry } from '../core/framePlan.js';
import { withoutKeyframeSeek, type FrameRange } from '../core/frameRange.js';
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
      try {
        return await render(o);
      } catch (error) {
        // A keyframe seek that started past the range's first frame delivers too few frames (its
        // trim ends at the range's end): not the input's fault, so the range is decoded again from
        // an accurate seek, as before keyframe seeks. A video that is really short fails that too.
        const late =
          o.range.keyframeSeekSeconds !== undefined &&
          error instanceof PermanentError &&
          error.code === 'FrameCountMismatch';
        if (!late) throw error;
        o.signal?.throwIfAborted();
        const timings = await render({ ...o, range: withoutKeyframeSeek(o.range) });
        return { ...timings, reseeked: error.message };
      }
    },
    stitch: (o) => stitchVideo({ ...o, formats: containers }),
  };

  function render(o: RenderRequest): Promise<PipelineTimings> {
    const { stream, ticks } = o.range;
    const count = o.range.end - o.range.start;
    if (!o.style) return passthrough(o, encode, containers);
    const fit = fitGeometry(stream.width, stream.height, o.style.fixedSize, o.fit);
    return runFramePipeline({
      decodeArgs: decodeArgs(o.input, {
        streamIndex: stream.index,
        ...seekOf(o.range),
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

/** A range's seek as the ffmpeg arguments take it. */
function seekOf(range: FrameRange): SeekOptions {
  return {
    seekSeconds: range.seekSeconds ?? undefined,
    keyframeSeekSeconds: range.keyframeSeekSeconds,
    endSeconds: range.endSeconds,
  };
}

/** A range re-encoded by one ffmpeg with no model: checked for its exact frame count (ffmpeg's own report) like a styled one. */
async function passthrough(
  o: RenderRequest,
  encode: EncodeSettings,
  formats: readonly string[],
): Promise<PipelineTimings> {
  const started = performance.now();
  const { stream } = o.range;
  const count = o.range.end - o.range.start;
  const args = passthroughArgs(o.input, o.output, {
    streamIndex: stream.index,
    ...seekOf(o.range),
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
