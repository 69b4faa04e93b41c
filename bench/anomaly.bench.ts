/**
 * `npm run bench -- anomaly`: the scoring engine against a bare onnxruntime-node run of the
 * original skl2onnx graphs (goal 3x) and against scikit-learn's decision_function (goal 5x, when
 * Python with scikit-learn can be had), plus the whole job's rows per second.
 */
import { benchEngine } from './anomalyEngine.js';
import { benchJob } from './anomalyJob.js';

export async function run(): Promise<{
  ratios: Record<string, number>;
  goals: Record<string, number>;
  figures: Record<string, number>;
}> {
  const engine = await benchEngine();
  const job = await benchJob();
  const goals: Record<string, number> = { engine_vs_bare_ort: 3 };
  if (engine.ratios.engine_vs_sklearn !== undefined) goals.engine_vs_sklearn = 5;
  return { ratios: engine.ratios, goals, figures: { ...engine.figures, ...job } };
}
