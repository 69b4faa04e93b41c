/**
 * Settings read from what a model says about itself at registration, so that nobody has to repeat
 * them with `--meta`:
 * - image models: the ONNX metadata for image tensors, which Windows ML reads (keys and values are
 *   case-insensitive): `Image.BitmapPixelFormat` Rgb8/Bgr8 → `color` rgb/bgr;
 *   `Image.NominalPixelRange` NominalRange_0_255 / Normalized_0_1 / Normalized_1_1 /
 *   NominalRange_16_235 → `range` 0,255 / 0,1 / -1,1 / 16,235; `Image.ColorSpaceGamma` SRGB/Linear
 *   → `gamma` srgb/linear. A model with none of them follows the ONNX model zoo's style-transfer
 *   convention, the stylizer's default: RGB, 0..255, gamma-encoded.
 * A key the model's own metadata already sets is not inferred; `--meta` overrides either.
 */
const IMAGE_KEYS: Readonly<Record<string, { key: string; values: Readonly<Record<string, string>> }>> = {
  'image.bitmappixelformat': { key: 'color', values: { rgb8: 'rgb', bgr8: 'bgr' } },
  'image.nominalpixelrange': {
    key: 'range',
    values: {
      nominalrange_0_255: '0,255',
      normalized_0_1: '0,1',
      normalized_1_1: '-1,1',
      nominalrange_16_235: '16,235',
    },
  },
  'image.colorspacegamma': { key: 'gamma', values: { srgb: 'srgb', linear: 'linear' } },
};

export function inferMeta(modelMetadata: Readonly<Record<string, string>>): Record<string, string> {
  const inferred: Record<string, string> = {};
  for (const [key, raw] of Object.entries(modelMetadata)) {
    const rule = IMAGE_KEYS[key.toLowerCase()];
    const value = rule?.values[raw.trim().toLowerCase()];
    if (rule && value !== undefined && modelMetadata[rule.key] === undefined) inferred[rule.key] = value;
  }
  return inferred;
}
