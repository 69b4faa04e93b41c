/**
 * One-class SVM training, the same fit as scikit-learn's
 * `Pipeline(StandardScaler(), OneClassSVM(kernel='rbf', nu, gamma))`:
 * - StandardScaler: per-feature mean and population std (ddof=0); a (near-)constant feature gets scale 1.
 * - OneClassSVM: libsvm (through libsvm-js, the same solver scikit-learn wraps), RBF kernel,
 *   tolerance 1e-3, shrinking on. gamma as scikit-learn takes it: a positive number, 'scale' =
 *   1 / (nFeatures * variance of the whole scaled matrix), or 'auto' = 1 / nFeatures.
 * The fitted model is plain data (support vectors, dual coefficients, rho), so it can be exported to ONNX
 * and checked in TypeScript with `decision(x)`.
 */
import { createRequire } from 'node:module';
import { InputError, PermanentError } from '../core/errors.js';

/** scikit-learn's OneClassSVM `gamma`: a positive number, 'scale' or 'auto'. */
export type OcsvmGamma = number | 'scale' | 'auto';

export interface OcsvmOptions {
  /** Upper bound on the fraction of training errors, lower bound on the fraction of support vectors; in (0, 1]. */
  nu?: number;
  /** RBF gamma, or 'scale' or 'auto' as scikit-learn computes them. */
  gamma?: OcsvmGamma;
}

export interface OcsvmFit {
  readonly nFeatures: number;
  readonly nTrain: number;
  readonly nu: number;
  readonly gamma: number;
  /** StandardScaler mean_, per feature. */
  readonly mean: Float64Array;
  /** StandardScaler scale_ (population std; 1 for a constant feature). Scaled x = (x - mean) / std. */
  readonly std: Float64Array;
  readonly nSupport: number;
  /** Support vectors in scaled space, row-major [nSupport, nFeatures]. */
  readonly supportVectors: Float64Array;
  /** libsvm's sv_coef (scikit-learn's dual_coef_), one per support vector. */
  readonly dualCoef: Float64Array;
  /** libsvm's rho (scikit-learn's offset_): decision = sum_i coef_i K(sv_i, x) - rho. */
  readonly rho: number;
  /** scikit-learn's decision_function for one raw (unscaled) feature vector. Positive is normal. */
  decision(x: ArrayLike<number>): number;
}

/** The part of libsvm-js's SVM class that this file uses. */
interface LibsvmModel {
  train(samples: number[][], labels: number[]): void;
  getSVIndices(): number[];
  serializeModel(): string;
  free(): void;
}
interface LibsvmClass {
  new (options: Record<string, unknown>): LibsvmModel;
  SVM_TYPES: { ONE_CLASS: string };
  KERNEL_TYPES: { RBF: string };
}

let libsvmLoad: Promise<LibsvmClass> | undefined;

/** The WebAssembly build loads asynchronously, once per process. */
function loadLibsvm(): Promise<LibsvmClass> {
  if (!libsvmLoad) {
    // Emscripten tries a streaming compile through fetch() on a file path, fails, warns on stderr,
    // then falls back to reading the file. Hiding fetch while the module starts skips the noise.
    const globals = globalThis as { fetch?: typeof fetch };
    const saved = globals.fetch;
    globals.fetch = undefined;
    try {
      libsvmLoad = createRequire(import.meta.url)('libsvm-js') as Promise<LibsvmClass>;
    } finally {
      globals.fetch = saved;
    }
  }
  return libsvmLoad;
}

/** Fits StandardScaler + one-class SVM on rows of `nFeatures` features. */
export async function trainOcsvm(
  X: Float64Array | number[][],
  nFeatures: number,
  options: OcsvmOptions = {},
): Promise<OcsvmFit> {
  const nu = options.nu ?? 0.05;
  const gammaOption = options.gamma ?? 'scale';
  if (!Number.isInteger(nFeatures) || nFeatures < 1)
    throw new InputError('nFeatures', `must be a positive integer, got ${nFeatures}`);
  if (!Number.isFinite(nu) || nu <= 0 || nu > 1) throw new InputError('nu', `must be in (0, 1], got ${nu}`);
  if (gammaOption !== 'scale' && gammaOption !== 'auto' && !(Number.isFinite(gammaOption) && gammaOption > 0)) {
    throw new InputError('gamma', `must be 'scale', 'auto' or a positive finite number, got ${String(gammaOption)}`);
  }
  const data = toFlat(X, nFeatures);
  const n = data.length / nFeatures;

  const { mean, std } = standardScaler(data, n, nFeatures);
  const scaled = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) scaled[i] = (data[i]! - mean[i % nFeatures]!) / std[i % nFeatures]!;
  const gamma =
    gammaOption === 'scale' ? scaleGamma(scaled, nFeatures) : gammaOption === 'auto' ? 1 / nFeatures : gammaOption;

  const rows: number[][] = [];
  for (let r = 0; r < n; r++) rows.push(Array.from(scaled.subarray(r * nFeatures, (r + 1) * nFeatures)));

  const SVM = await loadLibsvm();
  const svm = new SVM({
    type: SVM.SVM_TYPES.ONE_CLASS,
    kernel: SVM.KERNEL_TYPES.RBF,
    gamma,
    nu,
    tolerance: 1e-3,
    shrinking: true,
    cacheSize: 200,
    quiet: true,
  });
  let indices: number[];
  let text: string;
  try {
    svm.train(rows, new Array<number>(n).fill(0));
    indices = svm.getSVIndices();
    text = svm.serializeModel();
  } finally {
    svm.free(); // emscripten heap memory is never garbage collected
  }
  const { coefs, rho: printedRho } = parseModelText(text, indices.length);

  const supportVectors = new Float64Array(indices.length * nFeatures);
  indices.forEach((row, k) =>
    supportVectors.set(scaled.subarray(row * nFeatures, (row + 1) * nFeatures), k * nFeatures),
  );
  const rho = refineRho(scaled, n, nFeatures, gamma, indices, coefs, printedRho);

  const model = { nFeatures, gamma, mean, std, supportVectors, dualCoef: coefs, rho };
  return Object.freeze({
    ...model,
    nTrain: n,
    nu,
    nSupport: indices.length,
    decision: (x: ArrayLike<number>) => decisionOf(model, x),
  });
}

function toFlat(X: Float64Array | number[][], nFeatures: number): Float64Array {
  let flat: Float64Array;
  if (X instanceof Float64Array) {
    if (X.length % nFeatures !== 0)
      throw new InputError('X', `length ${X.length} is not a multiple of nFeatures ${nFeatures}`);
    flat = X;
  } else {
    flat = new Float64Array(X.length * nFeatures);
    X.forEach((row, r) => {
      if (row.length !== nFeatures)
        throw new InputError('X', `row ${r} has ${row.length} features, expected ${nFeatures}`);
      flat.set(row, r * nFeatures);
    });
  }
  if (flat.length === 0) throw new InputError('X', 'empty training set: at least one row is needed');
  const bad = flat.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    throw new InputError(
      'X',
      `row ${Math.floor(bad / nFeatures)} feature ${bad % nFeatures} is ${flat[bad]}, not a finite number`,
    );
  }
  return flat;
}

/** Mean and population std per feature; near-constant features get std 1 (scikit-learn's _is_constant_feature). */
function standardScaler(data: Float64Array, n: number, nFeatures: number): { mean: Float64Array; std: Float64Array } {
  const mean = new Float64Array(nFeatures);
  const std = new Float64Array(nFeatures);
  for (let j = 0; j < nFeatures; j++) {
    let sum = 0;
    for (let r = 0; r < n; r++) sum += data[r * nFeatures + j]!;
    const m = sum / n;
    let ss = 0;
    for (let r = 0; r < n; r++) ss += (data[r * nFeatures + j]! - m) ** 2;
    const variance = ss / n;
    const eps = Number.EPSILON;
    const constant = variance <= n * eps * variance + (n * m * eps) ** 2;
    mean[j] = m;
    std[j] = constant ? 1 : Math.sqrt(variance);
  }
  return { mean, std };
}

/** gamma='scale': 1 / (nFeatures * X.var()) over the whole scaled matrix; 1 when that variance is 0. */
function scaleGamma(scaled: Float64Array, nFeatures: number): number {
  let sum = 0;
  for (const v of scaled) sum += v;
  const m = sum / scaled.length;
  let ss = 0;
  for (const v of scaled) ss += (v - m) ** 2;
  const variance = ss / scaled.length;
  return variance === 0 ? 1 : 1 / (nFeatures * variance);
}

/** Reads sv_coef (one per SV line, in getSVIndices order) and rho from libsvm's model text. */
function parseModelText(text: string, nSupport: number): { coefs: Float64Array; rho: number } {
  const lines = text.split('\n');
  const rhoLine = lines.find((l) => l.startsWith('rho '));
  const svAt = lines.indexOf('SV');
  const rho = parseCDouble(rhoLine?.slice(4).trim() ?? '');
  const svLines = svAt < 0 ? [] : lines.slice(svAt + 1).filter((l) => l.trim() !== '');
  if (Number.isNaN(rho) || svLines.length !== nSupport) {
    throw new PermanentError(
      `libsvm model text unreadable: rho=${rhoLine ?? 'missing'}, ${svLines.length} SV lines for ${nSupport} SVs`,
    );
  }
  const coefs = Float64Array.from(svLines, (l) => Number(l.split(' ', 1)[0]));
  if (coefs.some((c) => !Number.isFinite(c))) throw new PermanentError('libsvm model text has a non-numeric sv_coef');
  return { coefs, rho };
}

/** Reads a number printed by C's printf, which writes infinities as "inf". */
function parseCDouble(text: string): number {
  if (/^[+-]?inf(inity)?$/i.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  return text === '' ? Number.NaN : Number(text);
}

/**
 * libsvm-js prints rho with "%g" (6 significant digits). Recompute it at full precision the way libsvm's
 * Solver::calculate_rho does for one-class (C = 1, y = +1, gradient G = K·alpha over all training rows);
 * keep the printed value if the two disagree beyond its printing precision.
 * When every alpha sits at the upper bound (nu = 1), libsvm's rho is (INF + lb) / 2 = inf and every decision
 * would be -inf; this takes the finite bound instead.
 */
function refineRho(
  scaled: Float64Array,
  n: number,
  nFeatures: number,
  gamma: number,
  indices: number[],
  coefs: Float64Array,
  printed: number,
): number {
  const alpha = new Float64Array(n);
  indices.forEach((row, k) => {
    alpha[row] = coefs[k]!;
  });
  let ub = Infinity;
  let lb = -Infinity;
  let sumFree = 0;
  let nFree = 0;
  for (let i = 0; i < n; i++) {
    let g = 0;
    for (const j of indices) g += alpha[j]! * rbf(scaled, i * nFeatures, scaled, j * nFeatures, nFeatures, gamma);
    const a = alpha[i]!;
    if (a >= 1) lb = Math.max(lb, g);
    else if (a <= 0) ub = Math.min(ub, g);
    else {
      sumFree += g;
      nFree++;
    }
  }
  const rho = nFree > 0 ? sumFree / nFree : ub === Infinity ? lb : lb === -Infinity ? ub : (ub + lb) / 2;
  if (!Number.isFinite(printed)) return rho;
  return Math.abs(rho - printed) <= 1e-5 * Math.max(1, Math.abs(printed)) ? rho : printed;
}

function rbf(a: ArrayLike<number>, ao: number, b: ArrayLike<number>, bo: number, d: number, gamma: number): number {
  let dist = 0;
  for (let k = 0; k < d; k++) dist += (a[ao + k]! - b[bo + k]!) ** 2;
  return Math.exp(-gamma * dist);
}

type DecisionModel = Pick<OcsvmFit, 'nFeatures' | 'gamma' | 'mean' | 'std' | 'supportVectors' | 'dualCoef' | 'rho'>;

function decisionOf(model: DecisionModel, x: ArrayLike<number>): number {
  const d = model.nFeatures;
  if (x.length !== d) throw new InputError('x', `has ${x.length} features, expected ${d}`);
  const s = new Float64Array(d);
  for (let k = 0; k < d; k++) s[k] = (x[k]! - model.mean[k]!) / model.std[k]!;
  let sum = 0;
  for (let i = 0; i < model.dualCoef.length; i++)
    sum += model.dualCoef[i]! * rbf(s, 0, model.supportVectors, i * d, d, model.gamma);
  return sum - model.rho;
}
