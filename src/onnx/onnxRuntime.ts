/**
 * onnxruntime-node, loaded on first use rather than when a module that may run a model is imported.
 * Its native binding loads only in a process that really runs one: the Functions app opens the same
 * Azure composition root as the scorer (whose scoring engine and style tools import this) but never
 * runs a model, so it never loads the runtime. A failed load is not cached: the next call tries again.
 */
import type * as Ort from 'onnxruntime-node';

export type OnnxRuntime = typeof Ort;

let loading: Promise<OnnxRuntime> | undefined;

export function onnxRuntime(): Promise<OnnxRuntime> {
  loading ??= import('onnxruntime-node').catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}
