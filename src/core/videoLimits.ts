import { InputError } from './errors.js';
import type { VideoProbe } from './videoProbe.js';

/** What a video job accepts, checked before any work is queued. */
export interface VideoLimits {
  readonly maxPixels: number;
  readonly maxSeconds: number;
  readonly maxBytes: number;
  /** Accepted container names (ffprobe's format names, any of a comma list matches). */
  readonly containers: readonly string[];
  readonly codecs: readonly string[];
}

/** Checks a probed video against the job limits; a violation is an InputError naming the input and the numbers. */
export function validateProbe(probe: VideoProbe, limits: VideoLimits, label: string): void {
  const formats = probe.container.split(',');
  if (!formats.some((f) => limits.containers.includes(f))) {
    throw new InputError(
      label,
      `container "${probe.container}" is not accepted (accepted: ${limits.containers.join(', ')})`,
    );
  }
  if (!limits.codecs.includes(probe.video.codec)) {
    throw new InputError(
      label,
      `video codec "${probe.video.codec}" is not supported (supported: ${limits.codecs.join(', ')})`,
    );
  }
  const pixels = probe.video.codedWidth * probe.video.codedHeight;
  if (pixels > limits.maxPixels) {
    throw new InputError(
      label,
      `frames of ${probe.video.codedWidth}x${probe.video.codedHeight} (${pixels} pixels) exceed the limit of ${limits.maxPixels} pixels`,
    );
  }
  if (probe.duration > limits.maxSeconds)
    throw new InputError(label, `duration ${probe.duration.toFixed(1)} s exceeds the limit of ${limits.maxSeconds} s`);
  if (probe.sizeBytes > limits.maxBytes)
    throw new InputError(label, `size ${probe.sizeBytes} bytes exceeds the limit of ${limits.maxBytes} bytes`);
}
