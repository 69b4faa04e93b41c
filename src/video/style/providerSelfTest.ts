/**
 * GPU readiness: proves that the requested execution provider really runs a model, with no silent
 * fallback to the CPU. A tiny Conv/Relu graph is run in a session that lists ONLY the requested
 * provider, with onnxruntime's profiler on; the profile's node events name the provider that ran
 * each node (`args.provider`). Outcomes:
 * - every node ran on the requested provider and the numbers are right: resolved;
 * - the provider cannot be created (library missing, no adapter): PermanentError 'ExecutionProviderUnavailable'
 *   with onnxruntime's reason, trimmed;
 * - any node ran elsewhere (e.g. CPUExecutionProvider when cuda was asked for), or the result is
 *   wrong: PermanentError 'ExecutionProviderMismatch' naming requested and actual.
 * `verifyExecutionProviderOnce` memoizes the outcome per provider for the process.
 */
import path from 'node:path';
import { PermanentError } from '../../core/errors.js';
import { onnxRuntime } from '../../onnx/onnxRuntime.js';
import {
  ORT_PROVIDER_NAMES,
  parseExecutionProvider,
  sessionOptionsFor,
  type ExecutionProvider,
} from './executionProvider.js';
import { ELEM_FLOAT, buildGraphModel } from './onnxGraph.js';
import { createProfileDir, profiledProviders } from './profiledProviders.js';

export interface ProviderVerification {
  /** onnxruntime's name of the provider that ran every node, e.g. 'CPUExecutionProvider'. */
  readonly provider: string;
  readonly detail: {
    readonly requested: ExecutionProvider;
    /** Node events in the profile, per provider. */
    readonly nodesByProvider: Readonly<Record<string, number>>;
    /** Largest difference from the JavaScript reference. */
    readonly maxError: number;
    readonly ms: number;
  };
}

const SIDE = 8;
const CHANNELS_IN = 3;
const CHANNELS_OUT = 4;
/** 1x1 convolution weights [4,3,1,1] and bias: small integers, exact in float32. */
const WEIGHTS = [1, 2, -1, 0, 1, 1, -2, 1, 3, 1, 0, -1];
const BIAS = [0.5, -1, 2, 0];

let selfTestModel: Buffer | undefined;

/** Conv 1x1 (3→4 channels) then Relu, on [1,3,8,8]. */
function testModel(): Buffer {
  selfTestModel ??= buildGraphModel({
    name: 'tessera_provider_self_test',
    input: { name: 'x', elemType: ELEM_FLOAT, dims: [1, CHANNELS_IN, SIDE, SIDE] },
    output: { name: 'y', elemType: ELEM_FLOAT, dims: [1, CHANNELS_OUT, SIDE, SIDE] },
    emit: (b, x, y) => {
      const conv = b.node('Conv', [
        x,
        b.floats('w', [CHANNELS_OUT, CHANNELS_IN, 1, 1], WEIGHTS),
        b.floats('b', [CHANNELS_OUT], BIAS),
      ]);
      b.node('Relu', [conv], [], y);
    },
  });
  return selfTestModel;
}

function inputValues(): Float32Array {
  return Float32Array.from({ length: CHANNELS_IN * SIDE * SIDE }, (_, i) => ((i * 7) % 11) - 5);
}

function reference(x: Float32Array): Float32Array {
  const plane = SIDE * SIDE;
  const out = new Float32Array(CHANNELS_OUT * plane);
  for (let o = 0; o < CHANNELS_OUT; o++) {
    for (let p = 0; p < plane; p++) {
      let sum = BIAS[o]!;
      for (let c = 0; c < CHANNELS_IN; c++) sum += WEIGHTS[o * CHANNELS_IN + c]! * x[c * plane + p]!;
      out[o * plane + p] = Math.max(0, sum);
    }
  }
  return out;
}

/** onnxruntime's reason, on one line and at most 300 characters (the end is kept: it says why). */
export function trimReason(error: unknown): string {
  const text = (error instanceof Error ? error.message : String(error)).replace(/\u001b\[[0-9;]*m/g, '');
  const first =
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '') ?? 'unknown error';
  // Drop onnxruntime's source location and function signature: '/…/x.cc:136 onnxruntime::F(args)::<lambda()> reason'.
  const line =
    first
      .replace(/^\S+\.(?:cc|cpp|h):\d+\s+/, '')
      .replace(/^onnxruntime::[^\s(]*\([^)]*\)(?:::<lambda\(\)>)?\s+/, '') || first;
  return line.length <= 300 ? line : `…${line.slice(-299)}`;
}

export async function verifyExecutionProvider(requested: ExecutionProvider): Promise<ProviderVerification> {
  const provider = parseExecutionProvider(requested);
  const expected = ORT_PROVIDER_NAMES[provider];
  const started = performance.now();
  const profile = await createProfileDir();
  const dir = profile.dir;
  try {
    const x = inputValues();
    let y: Float32Array;
    try {
      const ort = await onnxRuntime();
      const session = await ort.InferenceSession.create(testModel(), {
        ...sessionOptionsFor(provider, 1),
        enableProfiling: true,
        profileFilePrefix: path.join(dir, 'self_test'),
        logSeverityLevel: 4,
      });
      try {
        const out = await session.run({ x: new ort.Tensor('float32', x, [1, CHANNELS_IN, SIDE, SIDE]) });
        y = out.y?.data as Float32Array;
      } finally {
        session.endProfiling();
        await session.release();
      }
    } catch (cause) {
      throw new PermanentError(`execution provider ${provider} (${expected}) is unavailable: ${trimReason(cause)}`, {
        cause,
        code: 'ExecutionProviderUnavailable',
      });
    }
    const nodesByProvider = await profiledProviders(dir);
    assertProviderRan(provider, nodesByProvider);
    const want = reference(x);
    let maxError = 0;
    for (let i = 0; i < want.length; i++) {
      const d = Math.abs((y[i] ?? NaN) - want[i]!);
      maxError = Math.max(maxError, Number.isNaN(d) ? Infinity : d);
    }
    if (y.length !== want.length || !(maxError <= 1e-3)) {
      throw new PermanentError(
        `execution provider ${provider} (${expected}) computed a wrong self-test result (max error ${maxError})`,
        {
          code: 'ExecutionProviderMismatch',
        },
      );
    }
    return {
      provider: expected,
      detail: { requested: provider, nodesByProvider, maxError, ms: performance.now() - started },
    };
  } finally {
    await profile.remove();
  }
}

/**
 * Throws 'ExecutionProviderMismatch' unless every profiled node ran on the requested provider.
 * @param nodesByProvider node events per onnxruntime provider name, from a profile.
 */
export function assertProviderRan(
  requested: ExecutionProvider,
  nodesByProvider: Readonly<Record<string, number>>,
): void {
  const expected = ORT_PROVIDER_NAMES[requested];
  const actual = Object.keys(nodesByProvider);
  if (actual.length > 0 && actual.every((p) => p === expected)) return;
  const ran =
    actual.length === 0
      ? 'no node events in the profile'
      : actual.map((p) => `${p} (${nodesByProvider[p]} nodes)`).join(', ');
  throw new PermanentError(`execution provider ${requested}: requested ${expected}, but the self-test ran on ${ran}`, {
    code: 'ExecutionProviderMismatch',
  });
}

const verified = new Map<ExecutionProvider, Promise<ProviderVerification>>();

/** verifyExecutionProvider, run once per provider per process (its failure is remembered too). */
export function verifyExecutionProviderOnce(requested: ExecutionProvider): Promise<ProviderVerification> {
  let result = verified.get(requested);
  if (!result) {
    result = verifyExecutionProvider(requested);
    verified.set(requested, result);
  }
  return result;
}
