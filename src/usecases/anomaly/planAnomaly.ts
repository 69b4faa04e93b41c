import { InputError, NotFoundError, PermanentError } from '../../core/errors.js';
import { CONTAINERS, modelNameFor } from '../../core/jobNaming.js';
import { checkErrorBudget, type RowErrorSummary } from '../../core/rowErrors.js';
import { seriesId, type ShardRouter } from '../../core/sharding.js';
import { lineBlocks } from '../../lib/lineBlocks.js';
import type { JsonValue } from '../../ports/jobLedger.js';
import type { PinnedModel } from '../../ports/models.js';
import { detailOf } from '../jobDetail.js';
import type { Plan, PlanContext } from '../jobKind.js';
import { inputLabel } from '../jobLifecycle.js';
import type { AnomalyDeps, ScoreMessage } from './deps.js';
import { PartWriter } from './partWriter.js';
import { PlanPass, type SeriesPlan, type SpanChoice } from './planPass.js';

/** How a pinned series is kept on the job: its model, or null for a series without one. */
type Pins = Record<string, (PinnedModel & { windowSeconds: number | null }) | null>;

/** How often a long plan touches its job, so the reconciler knows it is alive. */
const HEARTBEAT_MS = 5_000;

/**
 * Plans an anomaly job: one streaming pass over the CSV validates every row and routes it to its
 * shard (one series over whole windows each), writing the shards' parts as it goes (planPass.ts).
 * Memory is bounded by `planBufferRows`, not by the file. The shard spans and the models chosen for
 * each series are pinned on the job before any shard is recorded, so a re-run cuts the same shards
 * even if a newer model version appeared; part names are deterministic, so a re-run overwrites the
 * same parts.
 */
export async function planAnomalyJob(deps: AnomalyDeps, ctx: PlanContext): Promise<Plan> {
  const label = inputLabel(ctx.job);
  const routed = await readAndRoute(deps, ctx, label);
  const budget = checkErrorBudget(routed.errors, deps.settings.errorBudget);
  if (budget) throw new InputError(label, budget);
  const pins: Record<string, JsonValue> = {};
  for (const [key, s] of routed.series)
    pins[key] = s.model ? { ...s.model, windowSeconds: s.model.windowSeconds ?? null } : null;
  await ctx.pin({ pins });
  const shards = routed.router.shards().flatMap((s) => {
    const series = routed.series.get(seriesId(s.key));
    if (!series?.model) return [];
    const message: ScoreMessage = {
      kind: 'score',
      jobId: ctx.job.jobId,
      shardId: s.shardId,
      device: s.key.device,
      tag: s.key.tag,
      model: series.model,
      windowSeconds: series.windowSeconds,
      parts: s.parts,
      rows: s.rows,
    };
    return [{ message, counts: { rows: s.rows, parts: s.parts } }];
  });
  return {
    shards,
    counts: { rows: routed.errors.rows, badRows: routed.errors.badRows, series: routed.series.size },
    detail: { errors: routed.errors as unknown as JsonValue, models: routed.models },
    log: {
      rows: routed.errors.rows,
      badRows: routed.errors.badRows,
      parts: routed.parts,
      shardWindows: routed.windows,
    },
  };
}

interface Routed {
  readonly router: ShardRouter;
  readonly errors: RowErrorSummary;
  readonly series: Map<string, SeriesPlan>;
  readonly models: JsonValue;
  readonly parts: number;
  readonly windows: number;
}

async function readAndRoute(deps: AnomalyDeps, ctx: PlanContext, label: string): Promise<Routed> {
  const { job } = ctx;
  const { container = CONTAINERS.inbox, name = '', etag = '' } = job.input;
  const download = await deps.blobs.get(container, name).catch((error: unknown) => {
    throw error instanceof NotFoundError
      ? new InputError(label, 'the input blob no longer exists', { cause: error })
      : error;
  });
  if (download.properties.etag !== etag) {
    download.stream.destroy();
    throw new InputError(
      label,
      `the blob changed after it was submitted (ETag ${download.properties.etag}, expected ${etag}); submit the new version`,
    );
  }
  const detail = detailOf(job);
  const pinned = (detail.pins ?? {}) as Pins;
  const parts = new PartWriter(deps.blobs, job.jobId);
  const fixed = deps.settings.windowsPerShard;
  const spans = fixed > 0 ? { bySeries: {}, otherwise: fixed } : (detail.shardWindows as SpanChoice | undefined);
  const pass = new PlanPass(
    deps,
    label,
    parts,
    (device, tag) => seriesPlan(deps, pinned, seriesId({ device, tag }), device, tag),
    download.properties.size,
    spans ?? undefined,
  );
  let beat = Date.now();
  let pinnedSpans = spans !== undefined;
  try {
    for await (const block of lineBlocks(download.stream, label, { linesBefore: () => pass.lineNo })) {
      await pass.block(block);
      if (!pinnedSpans && pass.choice) {
        // A re-run after a crash cuts the same spans, whatever the sample would say under other settings.
        pinnedSpans = true;
        await ctx.pin({ shardWindows: pass.choice as unknown as JsonValue });
      }
      if (Date.now() - beat > HEARTBEAT_MS) {
        ctx.signal?.throwIfAborted();
        beat = Date.now();
        await ctx.heartbeat({ planRows: pass.lineNo - 1 });
      }
    }
    await pass.end();
    // A file shorter than the sample has its spans chosen at its end.
    if (!pinnedSpans && pass.choice) await ctx.pin({ shardWindows: pass.choice as unknown as JsonValue });
  } finally {
    download.stream.destroy();
    await parts.drain().catch(() => undefined);
  }
  const series = new Map<string, SeriesPlan>();
  for (const s of pass.series) if (s) series.set(seriesId(s.key), s.plan);
  const models: JsonValue = [...series.values()].flatMap((s) =>
    s.model ? [`${s.model.name}@${s.model.version}`] : [],
  );
  const choice = pass.choice;
  return {
    router: pass.router,
    errors: pass.errors.summary(),
    series,
    models,
    parts: parts.parts,
    windows: choice ? choice.otherwise : 0,
  };
}

/**
 * A series' model: the one pinned by an earlier attempt, else the latest registered. A series
 * without one has no window length (its rows are rejected); a pinned model always has one.
 */
async function seriesPlan(
  deps: AnomalyDeps,
  pinned: Pins,
  key: string,
  device: string,
  tag: string,
): Promise<SeriesPlan> {
  const pin = pinned[key];
  const model =
    pin === undefined
      ? await deps.models.latest(modelNameFor(deps.settings.modelPattern, { device, tag }))
      : pin === null
        ? undefined
        : { ...pin, windowSeconds: pin.windowSeconds ?? Number.NaN };
  if (model && !(model.windowSeconds > 0))
    throw new PermanentError(`model ${model.name}@${model.version} has no window length (window_seconds)`, {
      code: 'ModelWithoutWindow',
    });
  return { device, tag, model, windowSeconds: model?.windowSeconds ?? 0 };
}
