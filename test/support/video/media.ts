/**
 * Test support for the video job: small media made with ffmpeg from lavfi sources (argument
 * arrays, never a shell string), ffprobe readers that do not go through the code under test,
 * per-frame md5s, and a look at this process's ffmpeg children (to prove nothing leaks).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fixturesDir } from '../fixtures.js';

export const SKYLINE = path.join(fixturesDir, 'video/skyline-360p.mp4');
export const MOSAIC = path.join(fixturesDir, 'models/style/mosaic.onnx');
/** The fixture's exact frame rate and mp4 timescale. */
export const SKYLINE_RATE = { num: 23040000, den: 767849 } as const;

export interface ToolResult {
  readonly code: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/** Runs ffmpeg or ffprobe to completion with an argument array. */
export function runTool(tool: 'ffmpeg' | 'ffprobe', args: readonly string[]): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, ['-hide_banner', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString('utf8');
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err }));
  });
}

/** Runs ffmpeg and fails with its stderr when it exits non-zero. */
export async function ffmpeg(...args: string[]): Promise<Buffer> {
  const r = await runTool('ffmpeg', ['-v', 'error', '-nostdin', '-y', ...args]);
  if (r.code !== 0) throw new Error(`ffmpeg ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

export function mediaDir(prefix = 'tessera-video-'): {
  dir: string;
  file: (name: string) => string;
  cleanup: () => void;
} {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, file: (name) => path.join(dir, name), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface LavfiVideo {
  readonly size?: string;
  readonly rate?: number;
  /** Frames to write (default: one second's worth). */
  readonly frames?: number;
  readonly pixFmt?: string;
  /** Adds a 1 s AAC sine track. */
  readonly audio?: boolean;
  readonly codec?: string[];
}

/** A testsrc clip (x264 ultrafast unless `codec` says otherwise), optionally with AAC audio. testsrc keeps odd sizes (testsrc2 rounds them down to even). */
export async function makeVideo(out: string, o: LavfiVideo = {}): Promise<string> {
  const rate = o.rate ?? 10;
  const frames = o.frames ?? rate;
  await ffmpeg(
    '-f',
    'lavfi',
    '-i',
    `testsrc=size=${o.size ?? '64x48'}:rate=${rate}`,
    ...(o.audio ? ['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${frames / rate}`] : []),
    '-frames:v',
    String(frames),
    ...(o.codec ?? ['-c:v', 'libx264', '-preset', 'ultrafast']),
    '-pix_fmt',
    o.pixFmt ?? 'yuv420p',
    ...(o.audio ? ['-c:a', 'aac', '-shortest'] : []),
    out,
  );
  return out;
}

/** Where a clip's audio lies against its video: starting 0.2 s before it or after it, or running 0.5 s past its end. */
export type AudioPlacement = 'before' | 'after' | 'past';

/** Video and audio codecs each container commonly carries (WebM: VP8 and Opus only). */
const CONTAINER_CODECS: Readonly<Record<string, { video: string[]; audio: string[] }>> = {
  mp4: { video: ['-c:v', 'libx264', '-preset', 'ultrafast'], audio: ['-c:a', 'aac'] },
  mov: { video: ['-c:v', 'libx264', '-preset', 'ultrafast'], audio: ['-c:a', 'aac'] },
  mkv: { video: ['-c:v', 'libx264', '-preset', 'ultrafast'], audio: ['-c:a', 'ac3'] },
  webm: { video: ['-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8'], audio: ['-c:a', 'libopus'] },
  avi: { video: ['-c:v', 'libx264', '-preset', 'ultrafast'], audio: ['-c:a', 'libmp3lame'] },
};

/**
 * A 0.3 s, 30 fps, 64x48 clip with audio placed as asked, in the container its extension names.
 * Frames keep their own times (no frames are duplicated to fill the gap before a late video).
 * `headerRate` writes a wrong frame rate into a Matroska/WebM header (its default frame duration)
 * while the frames stay 1/30 s apart, as files from some muxers do: ffprobe then reports it.
 */
export async function makeClipWithAudio(out: string, placement: AudioPlacement, headerRate?: number): Promise<string> {
  const codecs = CONTAINER_CODECS[path.extname(out).slice(1)];
  if (!codecs) throw new Error(`makeClipWithAudio: no codecs for ${out}`);
  const offset = (input: 'video' | 'audio') =>
    (placement === 'before' && input === 'video') || (placement === 'after' && input === 'audio')
      ? ['-itsoffset', '0.2']
      : [];
  await ffmpeg(
    ...offset('video'),
    '-f',
    'lavfi',
    '-i',
    'testsrc=size=64x48:rate=30:duration=0.3',
    ...offset('audio'),
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=440:sample_rate=48000:duration=${placement === 'past' ? 0.8 : 0.3}`,
    '-fps_mode',
    'passthrough',
    ...(headerRate ? ['-r', String(headerRate)] : []),
    ...codecs.video,
    '-pix_fmt',
    'yuv420p',
    ...codecs.audio,
    out,
  );
  return out;
}

/** A copy of `src` whose video stream carries a `rotate` tag (ffmpeg 5.1 writes it as a display matrix). */
export async function withRotateTag(src: string, out: string, degrees: number): Promise<string> {
  await ffmpeg('-i', src, '-map', '0', '-c', 'copy', '-metadata:s:v:0', `rotate=${degrees}`, out);
  return out;
}

/** 15 frames: five 100 ms apart, then ten 50 ms apart (ms timestamps, so the encoder keeps them). */
export async function makeVfrVideo(out: string): Promise<string> {
  await ffmpeg(
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=64x48:rate=10',
    '-vf',
    "settb=1/1000,setpts='if(lt(N,5),N*100,N*50+250)'",
    '-frames:v',
    '15',
    '-fps_mode',
    'vfr',
    '-enc_time_base',
    '1/1000',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-pix_fmt',
    'yuv420p',
    out,
  );
  return out;
}

/** A section of the skyline fixture from its start, copied (no re-encode: the exact source timing and AAC packets). */
export async function skylineSection(out: string, seconds: number): Promise<string> {
  await ffmpeg('-i', SKYLINE, '-t', String(seconds), '-map', '0', '-c', 'copy', out);
  return out;
}

export interface StreamFacts {
  readonly codec: string;
  readonly type: string;
  readonly width?: number;
  readonly height?: number;
  readonly packets: number;
  readonly timeBase: string;
  readonly duration: number;
  readonly rotation: number | undefined;
}

/** ffprobe's own view of a file's streams (packets counted), independent of the code under test. */
export async function streamFacts(file: string): Promise<{ streams: StreamFacts[]; duration: number }> {
  const r = await runTool('ffprobe', [
    '-v',
    'error',
    '-count_packets',
    '-show_streams',
    '-show_format',
    '-of',
    'json',
    file,
  ]);
  if (r.code !== 0) throw new Error(`ffprobe ${file}: ${r.stderr}`);
  const json = JSON.parse(r.stdout.toString('utf8')) as {
    streams: {
      codec_name: string;
      codec_type: string;
      width?: number;
      height?: number;
      nb_read_packets: string;
      time_base: string;
      duration?: string;
      side_data_list?: { rotation?: number }[];
    }[];
    format: { duration: string };
  };
  return {
    duration: Number(json.format.duration),
    streams: json.streams.map((s) => ({
      codec: s.codec_name,
      type: s.codec_type,
      width: s.width,
      height: s.height,
      packets: Number(s.nb_read_packets),
      timeBase: s.time_base,
      duration: Number(s.duration ?? NaN),
      rotation: s.side_data_list?.find((d) => typeof d.rotation === 'number')?.rotation,
    })),
  };
}

export function videoOf(facts: { streams: StreamFacts[] }): StreamFacts {
  const v = facts.streams.find((s) => s.type === 'video');
  if (!v) throw new Error('no video stream');
  return v;
}

export function audioOf(facts: { streams: StreamFacts[] }): StreamFacts | undefined {
  return facts.streams.find((s) => s.type === 'audio');
}

/** The video stream's packet pts in presentation order, in time-base ticks. */
export async function videoPts(file: string): Promise<number[]> {
  const r = await runTool('ffprobe', [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-show_entries',
    'packet=pts',
    '-of',
    'csv=p=0',
    file,
  ]);
  if (r.code !== 0) throw new Error(`ffprobe ${file}: ${r.stderr}`);
  return r.stdout
    .toString('utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map(Number)
    .sort((a, b) => a - b);
}

/** Decodes the first video frame at its displayed (rotated) size as 8-bit gray. */
export async function firstFrameGray(file: string, width: number, height: number): Promise<Uint8Array> {
  const out = await ffmpeg('-i', file, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1');
  if (out.length !== width * height) throw new Error(`expected a ${width}x${height} frame, got ${out.length} bytes`);
  return out;
}

export function md5(data: Uint8Array): string {
  return createHash('md5').update(data).digest('hex');
}

/** Pids of this process's live ffmpeg/ffprobe children (from /proc; zombies excluded). */
export function ffmpegChildren(parent = process.pid): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const [state, ppid] = stat.slice(close + 2).split(' ');
    if (Number(ppid) === parent && (comm === 'ffmpeg' || comm === 'ffprobe') && state !== 'Z') pids.push(Number(entry));
  }
  return pids;
}

/** Waits until `check` holds or `ms` pass; returns whether it held. */
export async function eventually(check: () => boolean, ms = 2000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

export interface PacketSum {
  readonly dts: number;
  readonly pts: number;
  readonly duration: number;
  readonly size: number;
  readonly md5: string;
}

/** Every packet of one stream, copied (not decoded): timestamps, size and an md5 of its bytes. */
export async function packetSums(file: string, stream: string): Promise<PacketSum[]> {
  const out = await ffmpeg('-i', file, '-map', `0:${stream}`, '-c', 'copy', '-f', 'framemd5', 'pipe:1');
  return out
    .toString('utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => {
      const [, dts, pts, duration, size, sum] = l.split(',').map((c) => c.trim());
      return { dts: Number(dts), pts: Number(pts), duration: Number(duration), size: Number(size), md5: sum ?? '' };
    });
}

/**
 * A truncated copy of `src` that ends exactly after its video packet `keep - 1` (by file offset):
 * with the index at the front (faststart), every packet left is whole, so nothing fails to decode.
 */
export async function truncateAfterPackets(src: string, out: string, keep: number): Promise<string> {
  const r = await runTool('ffprobe', [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-show_entries',
    'packet=pos,size',
    '-of',
    'csv=p=0',
    src,
  ]);
  const ends = r.stdout
    .toString('utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [pos, size] = l.split(',').map(Number);
      return (pos ?? 0) + (size ?? 0);
    });
  const cut = [...ends].sort((a, b) => a - b)[keep - 1];
  if (cut === undefined) throw new Error(`${src} has fewer than ${keep} packets`);
  writeFileSync(out, readFileSync(src).subarray(0, cut));
  return out;
}
