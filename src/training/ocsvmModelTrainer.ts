import type { ModelTrainer } from '../ports/training.js';
import { exportOcsvmOnnx } from './ocsvmExport.js';
import { trainOcsvm } from './ocsvmTrainer.js';

/** The ModelTrainer port on libsvm (the solver scikit-learn wraps) and the skl2onnx-form export. */
export const ocsvmModelTrainer: ModelTrainer = {
  async trainOcsvm(rows, nFeatures, options) {
    const fit = await trainOcsvm(rows, nFeatures, { nu: options.nu, gamma: options.gamma });
    const bytes = exportOcsvmOnnx(fit, {
      name: options.name,
      features: [...options.features],
      windowSeconds: options.windowSeconds,
    });
    return { bytes, gamma: fit.gamma, supportVectors: fit.nSupport };
  },
};
