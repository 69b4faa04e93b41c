/**
 * Anomaly scoring throughput: the engine (SVM graphs rewritten to standard ops, batched, cached
 * sessions) against a bare onnxruntime-node run of the ORIGINAL skl2onnx graphs, in the same process on
 * the same rows, each side on one thread (THREADS): the 15 fixture models, each series' windows tiled to ROWS_PER_MODEL rows. The bare
 * baseline is timed both in one run per model and in batches of the engine's size; the faster counts.
 * When .bench-venv has scikit-learn, bench/sklearn_decision.py times decision_function on the same
 * rows (figure sklearn_available = 0 otherwise). Each side: best of ROUNDS.
 *
 * Run: npx tsx bench/anomalyEngine.ts
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as ort from 'onnxruntime-node';
import { createScoringEngine } from '../src/engine/scoringEngine.js';
import { decodeModel, encodeModel } from '../src/onnx/onnxProto.js';
import { rewriteSvm } from '../src/onnx/svmRewrite.js';
import { sklearnPython } from './sklearnVenv.js';
import {
  bySeries,
  featureMatrix,
  ocsvmDir,
  ocsvmModelPath,
  readOcsvmManifest,
  readScores,
  readWindows,
} from '../test/support/fixtures.js';

const ROWS_PER_MODEL = 100_000;
/**
 * Threads per side: the engine runs each session on one thread (a worker process is the unit of
 * parallelism), so the bare onnxruntime sessions and scikit-learn get one thread too.
 */
const THREADS = 1;
const PINNED: ort.InferenceSession.SessionOptions = { intraOpNumThreads: THREADS, interOpNumThreads: THREADS };
const ROUNDS = 5;
const BATCH = 4096;
const F = 4;

interface Workload {
  readonly name: string;
  readonly sha256: string;
  readonly bytes: Buffer;
  /** The series' own windows. */
  readonly windows: Float32Array;
  readonly nWindows: number;
  /** The windows tiled to ROWS_PER_MODEL rows. */
  readonly tiled: Float32Array;
}

function workloads(): Workload[] {
  const series = bySeries(readWindows());
  return readOcsvmManifest().models.map((entry) => {
    const rows = series.get(`${entry.device}-${entry.tag}`) ?? [];
    const windows = featureMatrix(rows);
    const tiled = new Float32Array(ROWS_PER_MODEL * F);
    for (let i = 0; i < ROWS_PER_MODEL; i++)
      tiled.set(windows.subarray((i % rows.length) * F, ((i % rows.length) + 1) * F), i * F);
    return {
      name: `ocsvm-${entry.device}-${entry.tag}`,
      sha256: entry.sha256,
      bytes: readFileSync(ocsvmModelPath(entry)),
      windows,
      nWindows: rows.length,
      tiled,
    };
  });
}

async function timeBare(work: readonly Workload[], batch: number): Promise<number> {
  const sessions = await Promise.all(work.map((w) => ort.InferenceSession.create(w.bytes, PINNED)));
  let elapsed = 0;
  for (const [i, w] of work.entries()) {
    const session = sessions[i]!;
    await session.run({ float_input: new ort.Tensor('float32', w.tiled.subarray(0, BATCH * F), [BATCH, F]) }); // warm-up
    const start = performance.now();
    for (let row = 0; row < ROWS_PER_MODEL; row += batch) {
      const n = Math.min(batch, ROWS_PER_MODEL - row);
      await session.run({ float_input: new ort.Tensor('float32', w.tiled.subarray(row * F, (row + n) * F), [n, F]) });
    }
    elapsed += performance.now() - start;
  }
  await Promise.all(sessions.map((s) => s.release()));
  return elapsed;
}

async function timeEngine(work: readonly Workload[]): Promise<{ ms: number; loadMs: number }> {
  const engine = createScoringEngine({ intraOpNumThreads: THREADS });
  try {
    const loadStart = performance.now();
    const sessions = await Promise.all(
      work.map((w) => engine.load({ name: w.name, version: 1, sha256: w.sha256 }, w.bytes, { features: F })),
    );
    const loadMs = performance.now() - loadStart;
    let ms = 0;
    for (const [i, w] of work.entries()) {
      await engine.score(sessions[i]!, w.tiled, BATCH, F); // warm-up
      const start = performance.now();
      await engine.score(sessions[i]!, w.tiled, ROWS_PER_MODEL, F);
      ms += performance.now() - start;
    }
    return { ms, loadMs };
  } finally {
    await engine.dispose();
  }
}

/** Max |rewritten - original| and max |engine - scikit-learn| over every fixture window. */
async function accuracy(work: readonly Workload[]): Promise<{ rewrite: number; oracle: number }> {
  const oracle = bySeries(readScores());
  const engine = createScoringEngine();
  let rewrite = 0;
  let vsSklearn = 0;
  try {
    for (const w of work) {
      const feeds = { float_input: new ort.Tensor('float32', w.windows, [w.nWindows, F]) };
      const runScores = async (bytes: Uint8Array): Promise<Float32Array> => {
        const session = await ort.InferenceSession.create(bytes);
        const out = (await session.run(feeds)).scores?.data as Float32Array;
        await session.release();
        return out;
      };
      const original = await runScores(w.bytes);
      const rewritten = await runScores(encodeModel(rewriteSvm(decodeModel(w.bytes)).model));
      const ours = await engine.score(
        await engine.load({ name: w.name, version: 1, sha256: w.sha256 }, w.bytes),
        w.windows,
        w.nWindows,
        F,
      );
      const expected = oracle.get(w.name.replace('ocsvm-', '')) ?? [];
      for (let i = 0; i < w.nWindows; i++) {
        rewrite = Math.max(rewrite, Math.abs(rewritten[i]! - original[i]!));
        vsSklearn = Math.max(vsSklearn, Math.abs(ours.scores[i]! - (expected[i]?.decision ?? NaN)));
      }
    }
  } finally {
    await engine.dispose();
  }
  return { rewrite, oracle: vsSklearn };
}

function sklearnBaseline(): { windowsPerSecond: number; maxErr: number } | undefined {
  const python = sklearnPython((line) => console.error(line));
  if (!python) return undefined;
  const script = path.resolve(import.meta.dirname, 'sklearn_decision.py');
  const threads = String(THREADS);
  const env = { ...process.env, OMP_NUM_THREADS: threads, OPENBLAS_NUM_THREADS: threads, MKL_NUM_THREADS: threads };
  const run = spawnSync(python, [script, ocsvmDir, String(ROWS_PER_MODEL), '3'], {
    encoding: 'utf8',
    timeout: 60_000,
    env,
  });
  if (run.status !== 0) return undefined;
  const out = JSON.parse(run.stdout) as { windows_per_second: number; max_abs_err_vs_scores_csv: number };
  return { windowsPerSecond: out.windows_per_second, maxErr: out.max_abs_err_vs_scores_csv };
}

export async function benchEngine(): Promise<{ ratios: Record<string, number>; figures: Record<string, number> }> {
  const work = workloads();
  const rows = ROWS_PER_MODEL * work.length;
  let bareSingle = Infinity;
  let bareBatched = Infinity;
  let ours = Infinity;
  let loadMs = Infinity;
  for (let round = 0; round < ROUNDS; round++) {
    bareSingle = Math.min(bareSingle, await timeBare(work, ROWS_PER_MODEL));
    bareBatched = Math.min(bareBatched, await timeBare(work, BATCH));
    const engine = await timeEngine(work);
    ours = Math.min(ours, engine.ms);
    loadMs = Math.min(loadMs, engine.loadMs);
  }
  const perSecond = (ms: number): number => rows / (ms / 1000);
  const bare = Math.min(bareSingle, bareBatched);
  const { rewrite, oracle } = await accuracy(work);
  const sklearn = sklearnBaseline();
  const figures: Record<string, number> = {
    models: work.length,
    rows_per_model: ROWS_PER_MODEL,
    engine_windows_per_s: perSecond(ours),
    bare_ort_windows_per_s: perSecond(bare),
    bare_ort_single_run_windows_per_s: perSecond(bareSingle),
    bare_ort_batched_windows_per_s: perSecond(bareBatched),
    engine_load_15_models_ms: loadMs,
    rewrite_max_abs_err: rewrite,
    engine_vs_sklearn_scores_max_abs_err: oracle,
    sklearn_available: sklearn ? 1 : 0,
    threads_per_side: THREADS,
  };
  const ratios: Record<string, number> = { engine_vs_bare_ort: bare / ours };
  if (sklearn) {
    figures.sklearn_windows_per_s = sklearn.windowsPerSecond;
    figures.sklearn_refit_max_abs_err_vs_scores_csv = sklearn.maxErr;
    ratios.engine_vs_sklearn = perSecond(ours) / sklearn.windowsPerSecond;
  }
  return { ratios, figures };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await benchEngine(), null, 2));
}
