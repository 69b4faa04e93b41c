import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/core/errors.js';
import { inferMeta } from '../../src/registry/inferredMeta.js';
import { createModelRegistry } from '../../src/registry/modelRegistry.js';
import { buildGraphModel, ELEM_FLOAT } from '../../src/video/style/onnxGraph.js';
import { styleSpecOf } from '../../src/video/style/styleSpec.js';
import { MemoryBlobStore } from '../support/memoryBlobStore.js';
import { MOSAIC } from '../support/video/media.js';

/** A dynamic-size identity image model carrying `metadata` as its own metadata_props. */
function imageModel(metadata: Record<string, string>): Buffer {
  const dims = ['N', 3, 'H', 'W'];
  return buildGraphModel({
    name: 'image',
    input: { name: 'x', elemType: ELEM_FLOAT, dims },
    output: { name: 'y', elemType: ELEM_FLOAT, dims },
    emit: (b, x, y) => b.node('Identity', [x], [], y),
    metadata,
  });
}

describe('settings inferred from an image model’s own metadata', () => {
  it('reads the ONNX / Windows ML Image.* keys, whatever their case', () => {
    expect(inferMeta({ 'Image.BitmapPixelFormat': 'Bgr8' })).toEqual({ color: 'bgr' });
    expect(inferMeta({ 'image.bitmappixelformat': 'RGB8' })).toEqual({ color: 'rgb' });
    expect(
      inferMeta({ 'Image.NominalPixelRange': 'Normalized_0_1', 'Image.ColorSpaceGamma': 'SRGB', author: 'x' }),
    ).toEqual({ range: '0,1', gamma: 'srgb' });
    expect(inferMeta({ 'Image.NominalPixelRange': 'Normalized_1_1' })).toEqual({ range: '-1,1' });
    expect(inferMeta({ 'Image.NominalPixelRange': 'NominalRange_16_235' })).toEqual({ range: '16,235' });
    expect(inferMeta({ 'Image.NominalPixelRange': 'NominalRange_0_255' })).toEqual({ range: '0,255' });
    expect(inferMeta({ 'Image.ColorSpaceGamma': 'Linear' })).toEqual({ gamma: 'linear' });
  });

  it('infers nothing from a value it does not know, or for a key the model sets itself', () => {
    expect(inferMeta({ 'Image.BitmapPixelFormat': 'Gray8' })).toEqual({});
    expect(inferMeta({ 'Image.BitmapPixelFormat': 'Bgr8', color: 'rgb' })).toEqual({});
    expect(inferMeta({})).toEqual({});
  });

  it('the mosaic fixture (Image.BitmapPixelFormat=Bgr8) registers as BGR with no --meta; an explicit --meta still wins', async () => {
    const registry = createModelRegistry(new MemoryBlobStore());
    const bytes = readFileSync(MOSAIC);
    const { record } = await registry.add('mosaic', bytes);
    expect(record.modelMetadata['Image.BitmapPixelFormat']).toBe('Bgr8');
    expect(record.inferred).toEqual({ color: 'bgr' });
    expect(record.metadata.color).toBe('bgr');
    expect(styleSpecOf(record).color).toBe('bgr');

    const overridden = (await registry.add('mosaic', bytes, { meta: { color: 'rgb' } })).record;
    expect(overridden.inferred).toEqual({ color: 'bgr' });
    expect(overridden.metadata.color).toBe('rgb');
    expect(styleSpecOf(overridden).color).toBe('rgb');
  });

  it('a model that declares a normalized range gets it; one that wants linear light is refused when pinned, unless told srgb', async () => {
    const registry = createModelRegistry(new MemoryBlobStore());
    const normalized = (await registry.add('norm', imageModel({ 'Image.NominalPixelRange': 'Normalized_1_1' }))).record;
    expect(styleSpecOf(normalized)).toMatchObject({ range: [-1, 1], outputRange: [-1, 1], color: 'rgb' });

    const linear = imageModel({ 'Image.ColorSpaceGamma': 'Linear' });
    const refused = (await registry.add('linear', linear)).record;
    expect(() => styleSpecOf(refused)).toThrow(PermanentError);
    expect(() => styleSpecOf(refused)).toThrow(/linear-light frames.*--meta gamma=srgb/);
    const told = (await registry.add('linear', linear, { meta: { gamma: 'srgb' } })).record;
    expect(styleSpecOf(told).color).toBe('rgb');
  });
});
