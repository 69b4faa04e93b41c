import { extname, posix } from 'node:path';
import { safeName } from '../../core/sharding.js';

/** Where a video job keeps its files: blob names and local paths, all from the job and shard ids. */
export function segmentBlob(jobId: string, shardId: string): string {
  return `${jobId}/segments/${shardId}.mp4`;
}

export function localInputPath(cacheDir: string, jobId: string, inputName: string): string {
  // The local name is ours, never the blob's: nothing a user named reaches ffmpeg's command line.
  const ext =
    extname(inputName)
      .toLowerCase()
      .replace(/[^.a-z0-9]/g, '') || '.bin';
  return posix.join(cacheDir, jobId, `input${ext}`);
}

export function localJobDir(cacheDir: string, jobId: string): string {
  return posix.join(cacheDir, jobId);
}

/** `results/<jobId>/<stem>.styled.mp4`: the input's name, styled. */
export function styledOutputBlob(jobId: string, inputName: string): string {
  const base = posix.basename(inputName);
  const stem = base.slice(0, base.length - extname(base).length) || 'video';
  return `${jobId}/${stem}.styled.mp4`;
}

export function localSegmentPath(cacheDir: string, jobId: string, shardId: string): string {
  return posix.join(cacheDir, jobId, 'segments', `${safeName(shardId)}.mp4`);
}
