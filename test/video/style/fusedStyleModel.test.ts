import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { inspectModel } from '../../../src/onnx/modelInfo.js';
import { decodeModel } from '../../../src/onnx/onnxProto.js';
import { buildFusedStyleModel, WRAPPER_PREFIX } from '../../../src/video/style/fusedStyleModel.js';
import { ELEM_FLOAT, buildGraphModel } from '../../../src/video/style/onnxGraph.js';
import { styleSpecOf } from '../../../src/video/style/styleSpec.js';
import { wireFields } from '../../../src/video/style/wireFields.js';
import { styleModelPath } from './rgbImage.js';

function specOf(bytes: Uint8Array, metadata: Record<string, string> = {}) {
  const info = inspectModel(bytes);
  return styleSpecOf({ ...info, metadata: { ...info.metadata, ...metadata }, ref: 'test@1' });
}

describe('buildFusedStyleModel', () => {
  it('wraps mosaic (IR 3, opset 7) without touching its own nodes, initializers, opset or IR version', () => {
    const bytes = readFileSync(styleModelPath('mosaic'));
    const spec = specOf(bytes, { color: 'bgr' });
    const fused = buildFusedStyleModel(bytes, spec);
    const before = decodeModel(bytes);
    const after = decodeModel(fused.bytes);
    expect(after.irVersion).toBe(3);
    expect(after.opsetImport).toEqual(before.opsetImport);
    const own = after.graph?.node?.filter((n) => !n.name?.startsWith(`${WRAPPER_PREFIX}/`));
    expect(own).toEqual(before.graph?.node);
    expect(after.graph?.initializer?.slice(0, before.graph?.initializer?.length)).toEqual(before.graph?.initializer);
    // The image input and output are now the wrapper's uint8 frames; the IR 3 initializer inputs stay.
    const inputs = after.graph?.input?.map((i) => i.name) ?? [];
    expect(inputs).not.toContain(spec.inputName);
    expect(inputs).toContain(fused.input);
    expect(inputs).toHaveLength(before.graph?.input?.length ?? 0);
    expect(after.graph?.output?.map((o) => o.name)).toEqual([fused.output]);
    const info = inspectModel(fused.bytes);
    expect(info.outputs).toEqual([{ name: fused.output, elemType: 'uint8', shape: ['N', 720, 720, 3] }]);
    // Only opset-7 ops in the wrapper: attribute Clip, no Round, no QuantizeLinear.
    const wrapperOps = after.graph?.node?.filter((n) => n.name?.startsWith(`${WRAPPER_PREFIX}/`)).map((n) => n.opType);
    expect(wrapperOps).toEqual(['Transpose', 'Gather', 'Cast', 'Clip', 'Add', 'Sub', 'Cast', 'Gather', 'Transpose']);
  });

  it('copies fields its schema does not know byte for byte, and names nothing like the model does', () => {
    const emit = (b: Parameters<Parameters<typeof buildGraphModel>[0]['emit']>[0], x: string, y: string) => {
      b.node('Identity', [x], [], `${WRAPPER_PREFIX}/frames_in`);
      b.node('Identity', [`${WRAPPER_PREFIX}/frames_in`], [], y);
    };
    const base = buildGraphModel({
      name: 't',
      input: { name: 'x', elemType: ELEM_FLOAT, dims: ['N', 3, 'H', 'W'] },
      output: { name: 'y', elemType: ELEM_FLOAT, dims: ['N', 3, 'H', 'W'] },
      emit,
    });
    // An unknown varint field 99 at the top level and in the graph (field 7).
    const unknown = protobuf.Writer.create()
      .uint32((99 << 3) | 0)
      .uint32(12345)
      .finish();
    const fields = wireFields(base);
    const withUnknown = Buffer.concat(
      fields
        .map((f) => {
          if (f.field !== 7 || !f.payload) return f.raw;
          const graph = Buffer.concat([f.payload, unknown]);
          return protobuf.Writer.create()
            .uint32((7 << 3) | 2)
            .bytes(graph)
            .finish();
        })
        .concat([unknown]),
    );
    const fused = buildFusedStyleModel(withUnknown, specOf(withUnknown));
    expect(fused.input).not.toBe(`${WRAPPER_PREFIX}/frames_in`);
    const top = wireFields(fused.bytes);
    expect(top.filter((f) => f.field === 99).map((f) => Buffer.from(f.raw))).toEqual([Buffer.from(unknown)]);
    const graph = top.find((f) => f.field === 7)?.payload ?? new Uint8Array(0);
    expect(
      wireFields(graph)
        .filter((f) => f.field === 99)
        .map((f) => Buffer.from(f.raw)),
    ).toEqual([Buffer.from(unknown)]);
  });

  it('refuses a model older than opset 7', () => {
    const old = buildGraphModel({
      name: 't',
      opset: 6,
      input: { name: 'x', elemType: ELEM_FLOAT, dims: ['N', 3, 'H', 'W'] },
      output: { name: 'y', elemType: ELEM_FLOAT, dims: ['N', 3, 'H', 'W'] },
      emit: (b, x, y) => b.node('Identity', [x], [], y),
    });
    expect(() => buildFusedStyleModel(old, specOf(old))).toThrow(/opset 6; style models need opset 7 or later/);
  });
});
