import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/core/errors.js';
import { inspectModel } from '../../src/onnx/modelInfo.js';
import { encodeModel } from '../../src/onnx/onnxProto.js';
import { ocsvmModelPath, readOcsvmManifest } from '../support/fixtures.js';

const manifest = readOcsvmManifest();

describe('inspectModel', () => {
  it('describes a skl2onnx one-class SVM', () => {
    const entry = manifest.models[0]!;
    const bytes = readFileSync(ocsvmModelPath(entry));
    const info = inspectModel(bytes);
    expect(info.sha256).toBe(entry.sha256);
    expect(info.size).toBe(bytes.byteLength);
    expect(info.inputs).toEqual([{ name: 'float_input', elemType: 'float32', shape: [null, 4] }]);
    expect(info.outputs).toEqual([
      { name: 'label', elemType: 'int64', shape: [null, 1] },
      { name: 'scores', elemType: 'float32', shape: [null, 1] },
    ]);
    expect(info.opsets).toEqual({ 'ai.onnx': 17, 'ai.onnx.ml': 3 });
    expect(info.producer.name).toBe('skl2onnx-equivalent');
    expect(info.metadata).toEqual({ features: 'mean,std,min,max', window_seconds: '60' });
    expect(info.operators).toEqual(['ai.onnx.ml:Scaler', 'ai.onnx.ml:SVMRegressor', 'ai.onnx:Sign', 'ai.onnx:Cast']);
  });

  it('reports every fixture model with the sha256 of the manifest', () => {
    for (const entry of manifest.models)
      expect(inspectModel(readFileSync(ocsvmModelPath(entry))).sha256).toBe(entry.sha256);
  });

  it('spells symbolic dimensions and unknown shapes', () => {
    const bytes = encodeModel({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 17 }],
      graph: {
        node: [{ opType: 'Identity', input: ['x'], output: ['y'] }],
        input: [
          {
            name: 'x',
            type: { tensorType: { elemType: 11, shape: { dim: [{ dimParam: 'batch' }, { dimValue: 3 }] } } },
          },
        ],
        output: [{ name: 'y', type: { tensorType: { elemType: 11 } } }],
      },
    });
    const info = inspectModel(bytes);
    expect(info.inputs[0]).toEqual({ name: 'x', elemType: 'float64', shape: ['batch', 3] });
    expect(info.outputs[0]).toEqual({ name: 'y', elemType: 'float64', shape: null });
  });

  it.each([
    ['empty bytes', new Uint8Array(0)],
    ['text', Buffer.from('this is not an ONNX model, just text')],
    ['random-looking bytes', Uint8Array.from({ length: 64 }, (_, i) => (i * 97 + 13) % 256)],
    ['a model without graph', encodeModel({ irVersion: 8, producerName: 'nothing' })],
  ])('refuses %s with a PermanentError', (_what, bytes) => {
    expect(() => inspectModel(bytes)).toThrow(PermanentError);
    try {
      inspectModel(bytes);
    } catch (error) {
      expect((error as PermanentError).code).toBe('BadModel');
      expect((error as Error).message).toMatch(/empty file|not an ONNX/);
    }
  });
});
