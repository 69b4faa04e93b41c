import { NotFoundError, PermanentError } from '../../core/errors.js';
import type { ModelRegistry } from '../../registry/modelRegistry.js';
import { instruments } from '../../telemetry/metrics.js';
import { inSpan } from '../../telemetry/tracing.js';
import { NO_STYLE, type OpenStyle, type PinnedStyle, type StyleModels } from '../../ports/video.js';
import { createFrameStylizer, type FrameStylizer } from '../../video/style/frameStylizer.js';
import type { ExecutionProvider } from '../../video/style/executionProvider.js';
import { styleSpecOf } from '../../video/style/styleSpec.js';
import { buildToonModel } from '../../video/style/toonModel.js';

/** The built-in demo model, registered on first use so the video job works from the repository alone. */
export const BUILTIN_TOON = 'toon';

/**
 * Style models from the registry: `pin` resolves a reference to a version (registering the
 * built-in toon model when it is asked for and absent) and checks it is an image-to-image model;
 * `open` loads a pinned version once per process on the configured execution provider.
 */
export function registryStyles(
  registry: ModelRegistry,
  options: { executionProvider: ExecutionProvider; intraOpThreads?: number; batch: number },
): StyleModels {
  const open = new Map<string, Promise<FrameStylizer>>();
  return {
    async pin(ref) {
      if (ref === NO_STYLE) return { name: NO_STYLE, version: 0, sha256: '', fixedSize: undefined };
      let record;
      try {
        record = await registry.resolve(ref);
      } catch (error) {
        if (!(error instanceof NotFoundError) || ref !== BUILTIN_TOON) {
          throw error instanceof NotFoundError
            ? new PermanentError(`style model "${ref}" is not registered (tessera models add ${ref} FILE)`, {
                code: 'ModelNotFound',
              })
            : error;
        }
        record = (await registry.add(BUILTIN_TOON, buildToonModel(), { meta: { builtin: 'true' } })).record;
      }
      const spec = styleSpecOf(record, { defaultMaxBatch: options.batch });
      return { name: record.name, version: record.version, sha256: record.sha256, fixedSize: spec.fixedSize };
    },
    async open(model: PinnedStyle): Promise<OpenStyle> {
      const key = `${model.name}@${model.version}#${model.sha256}`;
      let loading = open.get(key);
      // A stylizer whose session thread died (or that was disposed) fails every run: load it afresh
      // instead of failing every shard of this process until they are dead-lettered.
      const current = await loading?.catch(() => undefined);
      if (current && !current.alive) {
        if (open.get(key) === loading) open.delete(key);
        loading = open.get(key);
        current.dispose().catch(() => undefined);
      }
      if (!loading) {
        loading = (async () => {
          const record = await registry.resolve(`${model.name}@${model.version}`);
          if (record.sha256 !== model.sha256) {
            throw new PermanentError(
              `model ${record.ref}: registry has sha256 ${record.sha256}, the job pinned ${model.sha256}`,
              { code: 'ModelChecksumMismatch' },
            );
          }
          const spec = styleSpecOf(record, { defaultMaxBatch: options.batch });
          return createFrameStylizer(await registry.loadBytes(record), spec, {
            executionProvider: options.executionProvider,
            intraOpThreads: options.intraOpThreads,
            label: record.ref,
          });
        })();
        open.set(key, loading);
        loading.catch(() => open.delete(key));
      }
      const stylizer = await loading;
      return {
        fixedSize: stylizer.spec.fixedSize,
        maxBatch: stylizer.spec.maxBatch,
        executionProvider: stylizer.executionProvider,
        // One span per model run: the trace shows model time beside the ffmpeg processes around it.
        transform: (width, height) => (frames, n) =>
          inSpan(
            'onnx style',
            {
              attributes: {
                'tessera.model': `${model.name}@${model.version}`,
                'tessera.frames': n,
                'tessera.width': width,
                'tessera.height': height,
                'tessera.execution_provider': stylizer.executionProvider,
              },
            },
            async () => {
              const out = await stylizer.stylize(frames, n, width, height, true); // a FrameTransform owns its frames
              instruments().frames.add(n, { model: model.name, execution_provider: stylizer.executionProvider });
              return out;
            },
          ),
      };
    },
  };
}
