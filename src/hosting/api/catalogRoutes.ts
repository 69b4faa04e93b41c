import type { ModelVersion } from '../../registry/modelVersion.js';
import { listJobViews } from '../../usecases/operator/jobView.js';
import { intQuery, textQuery } from './apiInput.js';
import { json, type ApiRoute } from './apiTypes.js';

/** A registered model version in the API's shape. */
function modelView(m: ModelVersion) {
  const tensor = (t: ModelVersion['inputs'][number]) => ({ name: t.name, type: t.elemType, shape: t.shape });
  return {
    ref: m.ref,
    name: m.name,
    version: m.version,
    sha256: m.sha256,
    size: m.size,
    createdAt: m.createdAt,
    tags: m.tags,
    metadata: m.metadata,
    meta: m.meta,
    inferred: m.inferred ?? {},
    inputs: m.inputs.map(tensor),
    outputs: m.outputs.map(tensor),
  };
}

export const listModels: ApiRoute = {
  operationId: 'listModels',
  method: 'GET',
  path: '/models',
  async handle(ports, request) {
    const name = textQuery(request, 'name');
    const models = await ports.registry.list(name);
    return json(200, { models: models.map(modelView), builtin: ports.builtinModels });
  },
};

/** GET /models/{ref}: resolves `name`, `name@3` or `name@tag`; 404 when nothing matches (a built-in answers `builtin: true`). */
export const getModel: ApiRoute = {
  operationId: 'getModel',
  method: 'GET',
  path: '/models/{ref}',
  async handle(ports, _request, params) {
    const ref = params.ref ?? '';
    if (ports.builtinModels.includes(ref)) {
      const registered = await ports.registry.resolve(ref).catch(() => undefined);
      return json(200, { model: registered ? modelView(registered) : null, builtin: true });
    }
    return json(200, { model: modelView(await ports.registry.resolve(ref)), builtin: false });
  },
};

export const listStreamRuns: ApiRoute = {
  operationId: 'listStreamRuns',
  method: 'GET',
  path: '/stream/runs',
  async handle(ports, request) {
    const limit = intQuery(request, 'limit', 50, 1, 1000);
    return json(200, { runs: await listJobViews(ports.jobs.ledger, { kind: 'stream', limit }) });
  },
};
