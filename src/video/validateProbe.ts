import { InputError } from '../core/errors.js';
import type { VideoLimits } from '../usecases/video/deps.js';
import type { VideoProbe } from './probe.js';

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
