/**
 * Test support: decodes an image file (PNG) into rgb24 bytes with ffmpeg (argument array, no shell),
 * and compares two rgb24 buffers.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';

export const styleFixtures = path.resolve(import.meta.dirname, '../../../../shared/fixtures');
export const styleModelPath = (name: string): string => path.join(styleFixtures, 'models/style', `${name}.onnx`);
export const goldenPath = (name: string): string => path.join(styleFixtures, 'golden', name);

export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** Decodes `file` (whose size the caller knows) into width × height × 3 rgb24. */
export async function decodeRgb(file: string, width: number, height: number): Promise<RgbImage> {
  const args = ['-v', 'error', '-nostdin', '-i', file, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'];
  const child = spawn('ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: Buffer[] = [];
  const errors: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => chunks.push(c));
  child.stderr.on('data', (c: Buffer) => errors.push(c));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const data = new Uint8Array(Buffer.concat(chunks));
  if (code !== 0) throw new Error(`ffmpeg exited ${code} on ${file}: ${Buffer.concat(errors).toString('utf8').trim()}`);
  if (data.length !== width * height * 3)
    throw new Error(`${file}: ${data.length} bytes, expected ${width}x${height} rgb24`);
  return { width, height, data };
}

export interface ImageDiff {
  readonly max: number;
  readonly mean: number;
  /** Per channel (R, G, B): largest absolute difference. */
  readonly maxPerChannel: readonly [number, number, number];
}

export function diffRgb(a: Uint8Array, b: Uint8Array): ImageDiff {
  if (a.length !== b.length) throw new Error(`sizes differ: ${a.length} vs ${b.length}`);
  const maxPerChannel: [number, number, number] = [0, 0, 0];
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    sum += d;
    const c = i % 3;
    if (d > maxPerChannel[c]!) maxPerChannel[c] = d;
  }
  return { max: Math.max(...maxPerChannel), mean: sum / Math.max(1, a.length), maxPerChannel };
}
