import { InputError, NotFoundError, PermanentError } from '../../core/errors.js';
import { CONTAINERS, modelNameFor, partBlobName } from '../../core/jobNaming.js';
import { checkReadingsHeader, parseReadingRow } from '../../core/readings.js';
import { RowErrorReport, checkErrorBudget, type RowErrorSummary } from '../../core/rowErrors.js';
import { ShardRouter, encodeShardRows, seriesId, type ShardFlush } from '../../core/sharding.js';
import { textLines } from '../../lib/textLines.js';
import type { JsonValue } from '../../ports/jobLedger.js';
import type { PinnedModel } from '../../ports/models.js';
import { detailOf } from '../jobDetail.js';
import type { Plan, PlanContext } from '../jobKind.js';
import { inputLabel } from '../jobLifecycle.js';
import type { AnomalyDeps, ScoreMessage } from './deps.js';

interface SeriesPlan {
  readonly device: string;
  readonly tag: string;
  readonly model: PinnedModel | undefined;
  readonly windowSeconds: number;
}

/** How a pinned series is kept on the job: its model, or null for a series without one. */
type Pins = Record<string, (PinnedModel & { windowSeconds: number | null }) | null>;

/** How often a long plan touches its job, so the reconciler knows it is alive. */
const HEARTBEAT_MS = 5_000;

/**
 * Plans an anomaly job: one streaming pass over the CSV validates every row and routes it to its
 * shard (one series over whole windows each), writing the shards' parts as it goes. Memory is
 * bounded by `planBufferRows`, not by the file. The models chosen for each series are pinned on the
 * job before any shard is recorded, so a re-run cuts the same shards even if a newer model version
 * appeared; part names are deterministic, so a re-run overwrites the same parts.
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
    log: { rows: routed.errors.rows, badRows: routed.errors.badRows },
  };
}

async function readAndRoute(
  deps: AnomalyDeps,
  ctx: PlanContext,
  label: string,
): Promise<{ router: ShardRouter; errors: RowErrorSummary; series: Map<string, SeriesPlan>; models: JsonValue }> {
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
  const pinned = (detailOf(job).pins ?? {}) as Pins;
  const router = new ShardRouter(deps.settings.planBufferRows);
  const errors = new RowErrorReport();
  const series = new Map<string, SeriesPlan>();
  const writeParts = async (flushes: ShardFlush[]) => {
    for (const f of flushes)
      await deps.blobs.put(CONTAINERS.work, partBlobName(job.jobId, f.shardId, f.part), encodeShardRows(f.rows), {
        contentType: 'text/csv',
      });
  };
  let lineNo = 0;
  let beat = Date.now();
  for await (const line of textLines(download.stream, label)) {
    lineNo += 1;
    if (lineNo === 1) {
      const bad = checkReadingsHeader(line);
      if (bad) throw new InputError(label, bad);
      continue;
    }
    if (Date.now() - beat > HEARTBEAT_MS) {
      ctx.signal?.throwIfAborted();
      beat = Date.now();
      await ctx.heartbeat({ planRows: lineNo - 1 });
    }
    if (line.trim() === '') continue;
    errors.countRow();
    const row = parseReadingRow(line, deps.settings.timestampRange);
    if (!row.ok) {
      errors.reject(lineNo, row.reason, row.detail);
      continue;
    }
    const key = seriesId(row.reading);
    let plan = series.get(key);
    if (!plan) {
      plan = await seriesPlan(deps, pinned, key, row.reading.device, row.reading.tag);
      series.set(key, plan);
    }
    if (!plan.model) {
      errors.reject(
        lineNo,
        'series has no model',
        `no model "${modelNameFor(deps.settings.modelPattern, plan)}" for device ${plan.device}, tag ${plan.tag}`,
      );
      continue;
    }
    const shardMs = plan.windowSeconds * 1000 * deps.settings.windowsPerShard;
    await writeParts(router.add(row.reading, shardMs, { ts: row.reading.ts, value: row.reading.value }));
  }
  if (lineNo === 0) throw new InputError(label, 'the file is empty');
  await writeParts(router.flush());
  const models: JsonValue = [...series.values()].flatMap((s) =>
    s.model ? [`${s.model.name}@${s.model.version}`] : [],
  );
  return { router, errors: errors.summary(), series, models };
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
