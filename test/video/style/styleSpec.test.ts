import { describe, expect, it } from 'vitest';
import { PermanentError } from '../../../src/core/errors.js';
import type { Dim, TensorInfo } from '../../../src/onnx/modelInfo.js';
import { styleSpecOf, type StyleModelRecord } from '../../../src/video/style/styleSpec.js';

const image = (name: string, shape: Dim[] | null, elemType = 'float32'): TensorInfo => ({ name, elemType, shape });

/** A record shaped like the mosaic fixture's manifest, with overridable parts. */
function record(overrides: Partial<StyleModelRecord> = {}): StyleModelRecord {
  return {
    ref: 'mosaic@1',
    inputs: [image('inputImage', ['None', 3, 720, 720])],
    outputs: [image('outputImage', ['None', 3, 720, 720])],
    metadata: { color: 'bgr' },
    ...overrides,
  };
}

function rejection(r: StyleModelRecord): PermanentError {
  try {
    styleSpecOf(r);
  } catch (error) {
    expect(error).toBeInstanceOf(PermanentError);
    return error as PermanentError;
  }
  throw new Error('styleSpecOf accepted the record');
}

describe('styleSpecOf', () => {
  it('reads a fixed-size BGR model with a dynamic batch', () => {
    expect(styleSpecOf(record())).toEqual({
      label: 'mosaic@1',
      inputName: 'inputImage',
      outputName: 'outputImage',
      color: 'bgr',
      range: [0, 255],
      outputRange: [0, 255],
      fixedSize: { width: 720, height: 720 },
      maxBatch: 4,
    });
    expect(styleSpecOf(record(), { defaultMaxBatch: 2 }).maxBatch).toBe(2);
  });

  it('reads a dynamic-size model with batch fixed at 1, RGB by default', () => {
    const spec = styleSpecOf(
      record({
        inputs: [image('input1', [1, 3, 'H', 'W'])],
        outputs: [image('output1', [1, 3, 'H', 'W'])],
        metadata: {},
      }),
    );
    expect(spec).toMatchObject({
      inputName: 'input1',
      outputName: 'output1',
      color: 'rgb',
      maxBatch: 1,
      fixedBatch: 1,
    });
    expect(spec.fixedSize).toBeUndefined();
  });

  it('takes the range and output range from metadata', () => {
    const spec = styleSpecOf(record({ metadata: { color: 'RGB', range: '0,1', output_range: '-1, 1' } }));
    expect(spec).toMatchObject({ color: 'rgb', range: [0, 1], outputRange: [-1, 1] });
  });

  it('rejects an unknown color, naming the model and the value', () => {
    const e = rejection(record({ metadata: { color: 'rgba' } }));
    expect(e.message).toContain('mosaic@1');
    expect(e.message).toContain('"rgba"');
  });

  it.each(['1,0', 'abc', '0,1,2', '0,', ''])('rejects range %j', (range) => {
    expect(rejection(record({ metadata: { range } })).message).toMatch(/mosaic@1: metadata range must be "lo,hi"/);
  });

  it.each<[string, Partial<StyleModelRecord>, RegExp]>([
    [
      'a float64 input',
      { inputs: [image('x', [1, 3, 8, 8], 'float64')] },
      /input x must be float32 \[N,3,H,W\].*float64/,
    ],
    ['an NHWC input', { inputs: [image('x', [1, 8, 8, 3])] }, /input x .*dim 1 is 8/],
    ['a rank-3 input', { inputs: [image('x', [3, 8, 8])] }, /input x .*rank 3/],
    ['an undeclared shape', { inputs: [image('x', null)] }, /input x .*not declared/],
    [
      'two inputs',
      { inputs: [image('a', [1, 3, 8, 8]), image('b', [1, 3, 8, 8])] },
      /exactly one input, this one has 2/,
    ],
    ['a rank-2 output', { outputs: [image('y', ['N', 10])] }, /output y .*rank 2/],
    ['a one-channel output', { outputs: [image('y', ['N', 1, 720, 720])] }, /output y .*dim 1 is 1/],
    ['a resized output', { outputs: [image('y', ['N', 3, 360, 360])] }, /same size out as in/],
    ['one fixed spatial dim', { inputs: [image('x', ['N', 3, 720, 'W'])] }, /fixes one spatial dimension/],
  ])('rejects %s', (_what, overrides, reason) => {
    const e = rejection(record(overrides));
    expect(e.message).toMatch(/^model mosaic@1: /);
    expect(e.message).toMatch(reason);
    expect(e.code).toBe('BadStyleModel');
  });
});
