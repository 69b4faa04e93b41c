import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { decodeModel, encodeModel, type Model, type Node } from '../../src/onnx/onnxProto.js';
import { rewriteSvm } from '../../src/onnx/svmRewrite.js';
import type { RbfForm } from '../../src/onnx/svmGraph.js';
import { bySeries, featureMatrix, ocsvmModelPath, readOcsvmManifest, readWindows } from '../support/fixtures.js';

const manifest = readOcsvmManifest();
const windows = bySeries(readWindows());
const TOLERANCE = 1e-5;

async function run(model: Model, x: Float32Array, n: number, fetch: string): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(encodeModel(model));
  try {
    const out = await session.run({ float_input: new ort.Tensor('float32', x, [n, 4]) });
    return out[fetch]!.data as Float32Array;
  } finally {
    await session.release();
  }
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

function series(entry: { device: string; tag: string }): { x: Float32Array; n: number } {
  const rows = windows.get(`${entry.device}-${entry.tag}`)!;
  return { x: featureMatrix(rows), n: rows.length };
}

function fixtureModel(index = 0): Model {
  return decodeModel(readFileSync(ocsvmModelPath(manifest.models[index]!)));
}

function svmNode(model: Model): Node {
  return model.graph!.node!.find((n) => n.opType === 'SVMRegressor')!;
}

function setKernel(model: Model, kernel: string): Model {
  const attr = svmNode(model).attribute!.find((a) => a.name === 'kernel_type')!;
  attr.s = Buffer.from(kernel);
  return model;
}

describe('rewriteSvm on the skl2onnx one-class SVMs', () => {
  it.each(manifest.models.map((m) => [`${m.device}-${m.tag}`, m] as const))(
    'model %s: standard ops, same scores within 1e-5 on every window',
    async (_id, entry) => {
      const original = decodeModel(readFileSync(ocsvmModelPath(entry)));
      const before = encodeModel(original);
      const { x, n } = series(entry);
      const expected = await run(original, x, n, 'scores');
      for (const form of ['expanded', 'difference'] as RbfForm[]) {
        const { model, rewritten } = rewriteSvm(original, { form });
        expect(rewritten).toBe(2);
        const nodes = model.graph!.node!;
        expect(nodes.filter((node) => node.domain === 'ai.onnx.ml')).toEqual([]);
        expect(model.opsetImport).toEqual([{ domain: '', version: 17 }]);
        expect(nodes.slice(-2).map((node) => node.opType)).toEqual(['Sign', 'Cast']);
        expect(model.graph!.output!.map((o) => o.name)).toEqual(['label', 'scores']);
        expect(model.metadataProps).toEqual(original.metadataProps);
        expect(maxAbsDiff(await run(model, x, n, 'scores'), expected)).toBeLessThanOrEqual(TOLERANCE);
      }
      expect(encodeModel(original).equals(before)).toBe(true); // input left untouched
    },
  );

  it('defaults to the expanded form (the faster one that meets 1e-5)', () => {
    const { model } = rewriteSvm(fixtureModel());
    expect(model.graph!.node!.map((n) => n.opType)).toEqual([
      'Gemm',
      'ReduceSumSquare',
      'Gemm',
      'Exp',
      'Gemm',
      'Reshape',
      'Sign',
      'Cast',
    ]);
  });
});

describe('rewriteSvm variants', () => {
  const { x, n } = series(manifest.models[0]!);

  it('rewrites a LINEAR kernel', async () => {
    const original = setKernel(fixtureModel(), 'LINEAR');
    const { model, rewritten } = rewriteSvm(original);
    expect(rewritten).toBe(2);
    const expected = await run(original, x, n, 'scores');
    const scale = Math.max(1, ...expected.map(Math.abs));
    expect(maxAbsDiff(await run(model, x, n, 'scores'), expected) / scale).toBeLessThanOrEqual(1e-5);
  });

  it('rewrites a lone SVMRegressor (no Scaler)', async () => {
    const original = fixtureModel();
    original.graph!.node = original.graph!.node!.filter((node) => node.opType !== 'Scaler');
    svmNode(original).input = ['float_input'];
    const { model, rewritten } = rewriteSvm(original);
    expect(rewritten).toBe(1);
    const small = x.map((v) => v / 20); // near the support vectors, so the kernel matters
    expect(
      maxAbsDiff(await run(model, small, n, 'scores'), await run(original, small, n, 'scores')),
    ).toBeLessThanOrEqual(TOLERANCE);
  });

  it('rewrites a lone Scaler, and a Scaler whose output is also a graph output', async () => {
    const lone = fixtureModel();
    lone.graph!.node = lone.graph!.node!.filter((node) => node.opType === 'Scaler');
    lone.graph!.output = [{ name: 'scaled', type: { tensorType: { elemType: 1 } } }];
    const loneResult = rewriteSvm(lone);
    expect(loneResult.rewritten).toBe(1);
    expect(loneResult.model.opsetImport).toEqual([{ domain: '', version: 17 }]);
    expect(
      maxAbsDiff(await run(loneResult.model, x, n, 'scaled'), await run(lone, x, n, 'scaled')),
    ).toBeLessThanOrEqual(1e-6);

    const shared = fixtureModel();
    shared.graph!.output!.push({ name: 'scaled', type: { tensorType: { elemType: 1 } } });
    const sharedResult = rewriteSvm(shared);
    expect(sharedResult.rewritten).toBe(2);
    expect(
      maxAbsDiff(await run(sharedResult.model, x, n, 'scaled'), await run(shared, x, n, 'scaled')),
    ).toBeLessThanOrEqual(1e-6);
    expect(
      maxAbsDiff(await run(sharedResult.model, x, n, 'scores'), await run(shared, x, n, 'scores')),
    ).toBeLessThanOrEqual(TOLERANCE);
  });

  it.each(['POLY', 'SIGMOID'])('leaves a %s kernel (and its Scaler) as it is', (kernel) => {
    const original = setKernel(fixtureModel(), kernel);
    const result = rewriteSvm(original);
    expect(result.rewritten).toBe(0);
    expect(result.model).toBe(original);
  });

  it('leaves one_class and post transforms alone', () => {
    const oneClass = fixtureModel();
    svmNode(oneClass).attribute!.push({ name: 'one_class', type: 2, i: 1 });
    expect(rewriteSvm(oneClass).rewritten).toBe(0);
    const probit = fixtureModel();
    svmNode(probit).attribute!.find((a) => a.name === 'post_transform')!.s = Buffer.from('PROBIT');
    expect(rewriteSvm(probit).rewritten).toBe(0);
  });
});
