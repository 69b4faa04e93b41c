import { describe, expect, it } from 'vitest';
import { PermanentError } from '../../../src/core/errors.js';
import { parseExecutionProvider, type ExecutionProvider } from '../../../src/video/style/executionProvider.js';
import { createFrameStylizer } from '../../../src/video/style/frameStylizer.js';
import {
  assertProviderRan,
  trimReason,
  verifyExecutionProvider,
  verifyExecutionProviderOnce,
} from '../../../src/video/style/providerSelfTest.js';
import { styleSpecOf } from '../../../src/video/style/styleSpec.js';
import { buildToonModel } from '../../../src/video/style/toonModel.js';
import { inspectModel } from '../../../src/onnx/modelInfo.js';

const ORT_NAMES: Record<ExecutionProvider, string> = {
  cpu: 'CPUExecutionProvider',
  cuda: 'CUDAExecutionProvider',
  tensorrt: 'TensorrtExecutionProvider',
  webgpu: 'WebGpuExecutionProvider',
};

describe('verifyExecutionProvider', () => {
  it('proves the CPU provider ran every node', async () => {
    const result = await verifyExecutionProvider('cpu');
    expect(result.provider).toBe('CPUExecutionProvider');
    expect(Object.keys(result.detail.nodesByProvider)).toEqual(['CPUExecutionProvider']);
    expect(result.detail.maxError).toBeLessThanOrEqual(1e-3);
  });

  // On a machine without the provider this fails loudly; where it works, it must be the provider itself.
  it.each<ExecutionProvider>(['cuda', 'webgpu', 'tensorrt'])(
    'never falls back to the CPU for %s',
    async (requested) => {
      const outcome = await verifyExecutionProvider(requested).then(
        (ok) => ok,
        (error: unknown) => error,
      );
      if (outcome instanceof Error) {
        expect(outcome).toBeInstanceOf(PermanentError);
        const code = (outcome as PermanentError).code;
        expect(['ExecutionProviderUnavailable', 'ExecutionProviderMismatch']).toContain(code);
        expect(outcome.message).toContain(requested);
        if (code === 'ExecutionProviderUnavailable') expect(outcome.message.length).toBeLessThan(400);
        console.info(`${requested}: ${code}: ${outcome.message}`);
      } else {
        const ok = outcome as Awaited<ReturnType<typeof verifyExecutionProvider>>;
        expect(ok.provider).toBe(ORT_NAMES[requested]);
        expect(Object.keys(ok.detail.nodesByProvider)).toEqual([ORT_NAMES[requested]]);
      }
    },
  );

  it('names requested and actual providers on a mismatch', () => {
    expect(() => assertProviderRan('cuda', { CPUExecutionProvider: 2 })).toThrow(
      /requested CUDAExecutionProvider, but the self-test ran on CPUExecutionProvider \(2 nodes\)/,
    );
    expect(() => assertProviderRan('cuda', { CUDAExecutionProvider: 1, CPUExecutionProvider: 1 })).toThrow(
      PermanentError,
    );
    expect(() => assertProviderRan('cpu', {})).toThrow(/no node events/);
    try {
      assertProviderRan('webgpu', { CPUExecutionProvider: 1 });
    } catch (error) {
      expect((error as PermanentError).code).toBe('ExecutionProviderMismatch');
    }
    expect(() => assertProviderRan('cpu', { CPUExecutionProvider: 3 })).not.toThrow();
  });

  it('trims onnxruntime reasons to one line that keeps the cause', () => {
    const long = `/onnxruntime_src/x.cc:136 onnxruntime::F(const X&)::<lambda()> ${'a'.repeat(400)} Failed to get a WebGPU adapter\n\nmore`;
    const reason = trimReason(new Error(long));
    expect(reason.length).toBeLessThanOrEqual(300);
    expect(reason).toMatch(/Failed to get a WebGPU adapter$/);
    expect(
      trimReason(
        new Error('/src/webgpu_context.cc:136 onnxruntime::webgpu::Ctx::Init(const Config&)::<lambda()> No adapters\n'),
      ),
    ).toBe('No adapters');
  });

  it('rejects an unknown provider setting', () => {
    expect(() => parseExecutionProvider('tpu')).toThrow(/one of cpu, cuda, tensorrt, webgpu, got "tpu"/);
    expect(parseExecutionProvider(' CUDA ')).toBe('cuda');
  });

  it('runs once per provider per process, and createFrameStylizer relies on it', async () => {
    expect(verifyExecutionProviderOnce('cpu')).toBe(verifyExecutionProviderOnce('cpu'));
    const bytes = buildToonModel();
    const spec = styleSpecOf({ ...inspectModel(bytes), name: 'toon' });
    const cuda = await verifyExecutionProviderOnce('cuda').then(
      () => undefined,
      (error: unknown) => error,
    );
    const created = createFrameStylizer(bytes, spec, { executionProvider: 'cuda', label: 'toon@1' });
    if (cuda === undefined) {
      await (await created).dispose();
    } else {
      await expect(created).rejects.toBe(cuda);
    }
  });
});
