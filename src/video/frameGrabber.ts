import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { PermanentError } from '../core/errors.js';
import type { BlobStore } from '../ports/blobStore.js';
import type { FrameGrabber } from '../ports/frameGrabber.js';
import { DEFAULT_VIDEO_CONTAINERS, inputWhitelist } from './ffmpeg/inputs.js';
import { runTool, trimStderr } from './ffmpeg/tool.js';

/**
 * Frames with ffmpeg: the blob is copied to a temp file once (mp4 seeks need a file, not a pipe),
 * then each frame is one accurate seek (`-ss` before `-i`, which decodes from the keyframe before
 * it) and one JPEG on stdout. The file is read as a local file of one of `containers` only (the
 * accepted ones, TESSERA_VIDEO_CONTAINERS), as every other ffmpeg call reads a source.
 */
export function createFrameGrabber(
  blobs: BlobStore,
  containers: readonly string[] = DEFAULT_VIDEO_CONTAINERS,
): FrameGrabber {
  return {
    async grab(video, seconds, { width }) {
      const dir = await mkdtemp(join(tmpdir(), 'tessera-frames-'));
      try {
        const file = join(dir, 'video');
        const { stream } = await blobs.get(video.container, video.name);
        await pipeline(stream, createWriteStream(file));
        const images: Buffer[] = [];
        for (const at of seconds) {
          const args = [
            ...['-v', 'error', '-ss', at.toFixed(6)],
            ...inputWhitelist('file', containers),
            ...['-i', file, '-frames:v', '1', '-an'],
          ];
          const scale = `scale=${Math.round(width)}:-2`;
          const run = await runTool('ffmpeg', [
            ...args,
            '-vf',
            scale,
            '-q:v',
            '4',
            '-f',
            'image2pipe',
            '-c:v',
            'mjpeg',
            '-',
          ]);
          if (run.code !== 0 || run.stdout.length === 0)
            throw new PermanentError(
              `${video.container}/${video.name}: no frame at ${at.toFixed(3)} s: ${trimStderr(run.stderr) || 'ffmpeg wrote nothing'}`,
            );
          images.push(run.stdout);
        }
        return images;
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}
