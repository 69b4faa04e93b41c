/**
 * Validates a stylize() call before anything runs: counts and sizes are integers, the buffer holds
 * exactly n rgb24 frames, and a fixed-size model gets frames of its size ('FrameSizeMismatch':
 * the decoder must fit frames to the model first).
 */
import { InputError, PermanentError } from '../../core/errors.js';
import type { StyleSpec } from './styleSpec.js';

export function checkFrames(
  spec: StyleSpec,
  label: string,
  frames: Uint8Array,
  n: number,
  width: number,
  height: number,
): void {
  for (const [name, v] of [
    ['n', n],
    ['width', width],
    ['height', height],
  ] as const) {
    if (!Number.isInteger(v) || v < (name === 'n' ? 0 : 1))
      throw new InputError(name, `must be a ${name === 'n' ? 'non-negative' : 'positive'} integer, got ${v}`);
  }
  const fixed = spec.fixedSize;
  if (fixed && (fixed.width !== width || fixed.height !== height)) {
    throw new PermanentError(
      `model ${label}: takes ${fixed.width}x${fixed.height} frames, got ${width}x${height} (frames must be fitted to the model size before stylizing)`,
      {
        code: 'FrameSizeMismatch',
      },
    );
  }
  if (frames.length !== n * width * height * 3) {
    throw new InputError(
      'frames',
      `expected ${n} rgb24 frames of ${width}x${height} (${n * width * height * 3} bytes), got ${frames.length} bytes`,
    );
  }
}
