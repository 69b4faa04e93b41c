import { InputError, NotFoundError, PermanentError } from '../../core/errors.js';
import { CONTAINERS } from '../../core/jobNaming.js';
import type { BlobStore } from '../../ports/blobStore.js';
import type { FrameGrabber } from '../../ports/frameGrabber.js';
import type { JobLedger, JsonValue } from '../../ports/jobLedger.js';
import { detailOf } from '../jobDetail.js';
import { readBlobText } from '../readBlobText.js';
import { NotAvailableError } from './notAvailableError.js';
import { listResultFiles } from './resultFiles.js';

/** A frame of a video job before and after styling: thumbnails under `results/<jobId>/thumbs/`. */
export interface Thumbnail {
  readonly frame: number;
  readonly seconds: number;
  /** The frame range (shard) it lies in. */
  readonly shardId: string;
  readonly before: string;
  /** Null when the job wrote no output (it failed before its stitch). */
  readonly after: string | null;
}

export interface VideoThumbnails {
  readonly thumbnails: readonly Thumbnail[];
  /** Time spent in each stage (the summary's `stagesMs`), or null before the job ends. */
  readonly stagesMs: Readonly<Record<string, number>> | null;
}

const THUMBS = 'thumbs';
const THUMB_FILE = /^[0-9]{1,9}-(before|after)\.jpg$/;

/**
 * Before/after thumbnails of a video job: the middle frame of up to `count` frame ranges spread
 * over the video, from the input and from the styled output. Made with ffmpeg on the first request
 * and kept as blobs (with an index), so later requests, and deployments without ffmpeg, serve them.
 * Times come from the probed frame rate, so a variable-rate video's frame is the nearest one.
 */
export async function videoThumbnails(
  deps: { ledger: JobLedger; blobs: BlobStore; frames?: FrameGrabber },
  jobId: string,
  count = 4,
  width = 320,
): Promise<VideoThumbnails> {
  const job = await deps.ledger.getJob(jobId);
  if (!job) throw new NotFoundError(`job ${jobId}`);
  if (job.kind !== 'video') throw new InputError(`job ${jobId}`, `is a ${job.kind} job: thumbnails are for video jobs`);
  const detail = detailOf(job);
  const summary = detail.summary;
  const stages = summary !== null && typeof summary === 'object' && !Array.isArray(summary) ? summary.stagesMs : null;
  const stagesMs = numbers(stages);
  const index = `${jobId}/${THUMBS}/index.json`;
  if (await deps.blobs.head(CONTAINERS.results, index))
    return {
      thumbnails: JSON.parse(await readBlobText(deps.blobs, CONTAINERS.results, index)) as Thumbnail[],
      stagesMs,
    };
  if (job.state !== 'succeeded' && job.state !== 'failed')
    throw new NotFoundError(`thumbnails of job ${jobId} (made once it has ended; it is ${job.state})`);
  if (!deps.frames)
    throw new NotAvailableError(`thumbnails of job ${jobId} are made with ffmpeg, which this deployment lacks`);
  const picks = pickFrames(await deps.ledger.listShards(jobId), count, frameRate(detail.probe));
  const output = (await listResultFiles(deps.blobs, jobId)).find((f) => f.name.endsWith('.mp4'));
  const input = { container: job.input.container ?? CONTAINERS.inbox, name: job.input.name ?? '' };
  const times = picks.map((p) => p.seconds);
  const frames = deps.frames;
  const grab = (video: { container: string; name: string }) =>
    frames.grab(video, times, { width }).catch((error: unknown) => {
      if (error instanceof PermanentError && error.code === 'ToolMissing')
        throw new NotAvailableError(`thumbnails of job ${jobId} need ffmpeg here: ${error.message}`);
      throw error;
    });
  const before = await grab(input);
  const after = output ? await grab({ container: CONTAINERS.results, name: `${jobId}/${output.name}` }) : [];
  const thumbnails: Thumbnail[] = [];
  for (const [i, p] of picks.entries()) {
    const name = (side: string) => `${p.frame}-${side}.jpg`;
    await deps.blobs.put(CONTAINERS.results, `${jobId}/${THUMBS}/${name('before')}`, before[i]!, {
      contentType: 'image/jpeg',
    });
    if (after[i])
      await deps.blobs.put(CONTAINERS.results, `${jobId}/${THUMBS}/${name('after')}`, after[i], {
        contentType: 'image/jpeg',
      });
    thumbnails.push({ ...p, before: name('before'), after: after[i] ? name('after') : null });
  }
  await deps.blobs.put(CONTAINERS.results, index, JSON.stringify(thumbnails), { contentType: 'application/json' });
  return { thumbnails, stagesMs };
}

/** Opens one thumbnail image by its file name (`<frame>-before.jpg`, `<frame>-after.jpg`). */
export async function openThumbnail(blobs: BlobStore, jobId: string, file: string) {
  if (!THUMB_FILE.test(file))
    throw new InputError(
      'thumbnail',
      `must be <frame>-before.jpg or <frame>-after.jpg, got ${JSON.stringify(file.slice(0, 80))}`,
    );
  try {
    return await blobs.get(CONTAINERS.results, `${jobId}/${THUMBS}/${file}`);
  } catch (error) {
    if (error instanceof NotFoundError) throw new NotFoundError(`thumbnail ${file} of job ${jobId}`);
    throw error;
  }
}

function numbers(value: JsonValue | undefined): Record<string, number> | null {
  if (value === null || value === undefined || typeof value !== 'object' || Array.isArray(value)) return null;
  return Object.fromEntries(Object.entries(value).filter((e): e is [string, number] => typeof e[1] === 'number'));
}

function frameRate(probe: JsonValue | undefined): number {
  const text = probe !== null && typeof probe === 'object' && !Array.isArray(probe) ? probe.frameRate : undefined;
  const [num, den] = typeof text === 'string' ? text.split('/').map(Number) : [];
  const rate = (num ?? Number.NaN) / (den ?? 1);
  return Number.isFinite(rate) && rate > 0 ? rate : 25;
}

/** The middle frame of `count` ranges spread evenly over the video (first and last included). */
function pickFrames(
  shards: readonly { shardId: string; detail: JsonValue }[],
  count: number,
  rate: number,
): Omit<Thumbnail, 'before' | 'after'>[] {
  const ranges = shards
    .map((s) => {
      const m = s.detail !== null && typeof s.detail === 'object' && !Array.isArray(s.detail) ? s.detail.message : null;
      const message = m !== null && typeof m === 'object' && !Array.isArray(m) ? m : {};
      // A style message carries its FrameRange (core/frameRange.ts) as `range`.
      const range = message.range;
      const r = range !== null && typeof range === 'object' && !Array.isArray(range) ? range : {};
      return { shardId: s.shardId, start: Number(r.start), end: Number(r.end) };
    })
    .filter((r) => Number.isInteger(r.start) && Number.isInteger(r.end) && r.end > r.start)
    .sort((a, b) => a.start - b.start);
  const chosen = new Set<number>();
  for (let i = 0; i < Math.min(count, ranges.length); i++)
    chosen.add(
      count <= 1 ? 0 : Math.round((i * (ranges.length - 1)) / Math.max(1, Math.min(count, ranges.length) - 1)),
    );
  return [...chosen].map((i) => {
    const r = ranges[i]!;
    const frame = Math.floor((r.start + r.end) / 2);
    // Half a frame before it: an accurate seek drops the frames before the time asked for, so the
    // first frame kept is this one, whichever way a time on its exact boundary would round.
    return { frame, seconds: Math.max(0, (frame - 0.5) / rate), shardId: r.shardId };
  });
}
