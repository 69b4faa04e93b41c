/**
 * The execution provider setting (cpu, cuda, tensorrt, webgpu), the name onnxruntime reports for
 * each in its profiles, and the session options that request ONLY that provider.
 */
import type { InferenceSession } from 'onnxruntime-node';
import { PermanentError } from '../../core/errors.js';

export const EXECUTION_PROVIDERS = ['cpu', 'cuda', 'tensorrt', 'webgpu'] as const;
export type ExecutionProvider = (typeof EXECUTION_PROVIDERS)[number];

/** The provider name in onnxruntime's profile events (`args.provider`). */
export const ORT_PROVIDER_NAMES: Readonly<Record<ExecutionProvider, string>> = Object.freeze({
  cpu: 'CPUExecutionProvider',
  cuda: 'CUDAExecutionProvider',
  tensorrt: 'TensorrtExecutionProvider',
  webgpu: 'WebGpuExecutionProvider',
});

/** Validates a setting's value; anything else is a PermanentError listing the choices. */
export function parseExecutionProvider(value: string): ExecutionProvider {
  const v = value.trim().toLowerCase();
  const found = EXECUTION_PROVIDERS.find((p) => p === v);
  if (!found) {
    throw new PermanentError(
      `execution provider must be one of ${EXECUTION_PROVIDERS.join(', ')}, got ${JSON.stringify(value)}`,
      {
        code: 'ExecutionProviderUnknown',
      },
    );
  }
  return found;
}

/** Options for a session on `provider` alone: no CPU entry in the provider list. */
export function sessionOptionsFor(
  provider: ExecutionProvider,
  intraOpThreads?: number,
): InferenceSession.SessionOptions {
  return {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    ...(intraOpThreads !== undefined ? { intraOpNumThreads: intraOpThreads } : {}),
  };
}
