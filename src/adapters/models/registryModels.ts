import { ensureError, InputError, PermanentError, NotFoundError, TransientError } from '../../core/errors.js';
import { FEATURES } from '../../core/windowing.js';
import type { ScoringEngine, ScoringSession } from '../../engine/scoringEngine.js';
import type { ModelRegistry } from '../../registry/modelRegistry.js';
import type { ModelVersion } from '../../registry/modelVersion.js';
import { windowSecondsOf } from '../../registry/windowLength.js';
import type { ModelCatalog, PinnedModel, WindowScorer } from '../../ports/models.js';

/**
 * The planner's view of the registry: the latest version of a model, pinned by sha256 with its
 * window length. A version without a usable `window_seconds` (registered before registration
 * required it) cannot be pinned: a PermanentError names it and how to fix it, where the job used to
 * score it silently on 60 s windows.
 */
export function registryCatalog(registry: ModelRegistry): ModelCatalog {
  return {
    async latest(name) {
      let record;
      try {
        record = await registry.resolve(name);
      } catch (error) {
        if (error instanceof NotFoundError) return undefined;
        // An invalid model name (from an odd device or tag) means no model can exist for it;
        // anything else (a corrupt manifest, say) is a real failure and must not hide as "no model".
        if (error instanceof InputError) return undefined;
        throw error;
      }
      return { name: record.name, version: record.version, sha256: record.sha256, windowSeconds: pinnedWindow(record) };
    },
  };
}

function pinnedWindow(record: ModelVersion): number {
  const fix = `register it again with --meta window_seconds=N (N the window length in seconds it was trained on)`;
  let seconds;
  try {
    seconds = windowSecondsOf(record.metadata, `model ${record.ref}`);
  } catch (error) {
    throw new PermanentError(`${ensureError(error).message}; ${fix}`, { code: 'ModelWithoutWindow', cause: error });
  }
  if (seconds === undefined)
    throw new PermanentError(`model ${record.ref} has no window length (metadata window_seconds): ${fix}`, {
      code: 'ModelWithoutWindow',
    });
  return seconds;
}

/**
 * Scores with registry models through the engine. Each pinned version is fetched, checked
 * against its sha256 (by the registry and again by the engine) and loaded once per process.
 */
export function registryScorer(registry: ModelRegistry, engine: ScoringEngine): WindowScorer {
  const sessions = new Map<string, Promise<{ session: ScoringSession; features: string[] }>>();
  const keyOf = (m: PinnedModel) => `${m.name}@${m.version}#${m.sha256}`;

  const open = (model: PinnedModel) => {
    const key = keyOf(model);
    let loading = sessions.get(key);
    if (!loading) {
      loading = (async () => {
        const record = await registry.resolve(`${model.name}@${model.version}`);
        if (record.sha256 !== model.sha256) {
          throw new PermanentError(
            `model ${record.ref}: registry has sha256 ${record.sha256}, the job pinned ${model.sha256}`,
            { code: 'ModelChecksumMismatch' },
          );
        }
        const features = (record.metadata.features ?? FEATURES.join(',')).split(',').map((f) => f.trim());
        const bytes = await registry.loadBytes(record);
        const session = await engine.load({ name: model.name, version: model.version, sha256: model.sha256 }, bytes, {
          features: features.length,
        });
        return { session, features };
      })();
      sessions.set(key, loading);
      // A failed load is not cached: a transient failure may succeed next time.
      loading.catch(() => sessions.delete(key));
    }
    return loading;
  };

  return {
    async features(model) {
      return (await open(model)).features;
    },
    async score(model, rows, nRows, nFeatures) {
      for (let attempt = 0; ; attempt++) {
        const { session } = await open(model);
        try {
          return await engine.score(session, rows, nRows, nFeatures);
        } catch (error) {
          // The engine evicted the session: load it again, once.
          if (!(error instanceof TransientError) || attempt > 0) throw error;
          sessions.delete(keyOf(model));
        }
      }
    },
  };
}
