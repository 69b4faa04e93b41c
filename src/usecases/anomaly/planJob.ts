import { InputError, NotFoundError, PermanentError, ensureError } from '../../core/errors.js';
import { CONTAINERS, modelNameFor, partBlobName, shardMessageId } from '../../core/jobNaming.js';
import { checkReadingsHeader, parseReadingRow } from '../../core/readings.js';
import { RowErrorReport, checkErrorBudget } from '../../core/rowErrors.js';
import { ShardRouter, encodeShardRows, seriesId, type ShardFlush } from '../../core/sharding.js';
import type { JobRecord, JsonValue } from '../../ports/jobLedger.js';
import { updateJobWithRetry } from '../ledgerRetry.js';
import { textLines } from '../../lib/textLines.js';
import type { AnomalyDeps, AnomalyMessage, PinnedModel } from './deps.js';
import { fanIn } from '../fanIn.js';
import { detailOf } from '../jobDetail.js';

interface SeriesPlan {
  readonly device: string;
  readonly tag: string;
  readonly model: PinnedModel | undefined;
  readonly windowSeconds: number;
}

/** How often a long plan touches its job, so the reconciler knows it is alive. */
const HEARTBEAT_MS = 5_000;

/**
 * Plans a job: one streaming pass over the input validates every row, routes rows to shards
 * (one series over whole windows each), writes the shards' parts, records the shards, queues
 * them, and only then marks the job running. Memory is bounded by `planBufferRows`, not by the
 * file. A crash anywhere re-runs it safely: part names, shard ids and message ids are
 * deterministic, and the models chosen for each series are pinned on the job before any shard
 * is recorded, so a re-run cuts the same shards even if a newer model version appeared.
 */
export async function planJob(deps: AnomalyDeps, jobId: string, signal?: AbortSignal): Promise<void> {
  const job = await deps.ledger.getJob(jobId);
  if (!job) throw new PermanentError(`plan: job ${jobId} does not exist`);
  if (job.state !== 'planning') {
    deps.log.info('plan skipped: job already planned', { jobId, state: job.state });
    return;
  }
  const { container = CONTAINERS.inbox, name = '', etag = '' } = job.input;
  const inputName = `${container}/${name}`;
  const log = deps.log.child({ jobId });
  const started = Date.now();
  try {
    const plan = await readAndRoute(deps, job, inputName, signal);
    const budget = checkErrorBudget(plan.errors, deps.settings.errorBudget);
    if (budget) throw new InputError(inputName, budget);
    const pins: Record<string, JsonValue> = {};
    for (const [key, s] of plan.series)
      pins[key] = s.model ? { ...s.model, windowSeconds: s.model.windowSeconds ?? null } : null;
    await updateJobWithRetry(deps.ledger, jobId, (j) =>
      j.state !== 'planning' ? undefined : { detail: { ...detailOf(j), pins } },
    );

    const shards = plan.router.shards().filter((s) => plan.series.get(seriesId(s.key))?.model);
    const messages = shards.map((s) => {
      const series = plan.series.get(seriesId(s.key));
      const body: AnomalyMessage = {
        kind: 'score',
        jobId,
        shardId: s.shardId,
        device: s.key.device,
        tag: s.key.tag,
        model: series?.model as PinnedModel,
        windowSeconds: series?.windowSeconds ?? deps.settings.defaultWindowSeconds,
        parts: s.parts,
        rows: s.rows,
      };
      return { messageId: shardMessageId(jobId, s.shardId), body, subject: 'score' };
    });
    // The shard keeps its message, so the reconciler can send it again if it is ever lost.
    await deps.ledger.addShards(
      jobId,
      messages.map((m, i) => ({
        shardId: m.body.shardId,
        counts: { rows: shards[i]?.rows ?? 0, parts: shards[i]?.parts ?? 0 },
        detail: { message: m.body as unknown as JsonValue },
      })),
    );
    for (let i = 0; i < messages.length; i += 100) await deps.queue.send(messages.slice(i, i + 100));
    await updateJobWithRetry(deps.ledger, jobId, (j) =>
      j.state !== 'planning'
        ? undefined
        : {
            state: 'running',
            shardsTotal: shards.length,
            counts: { ...j.counts, rows: plan.errors.rows, badRows: plan.errors.badRows, series: plan.series.size },
            detail: {
              ...detailOf(j),
              plannedAt: new Date().toISOString(),
              planMs: Date.now() - started,
              errors: plan.errors as unknown as JsonValue,
              models: plan.models,
            },
          },
    );
    log.info('job planned', {
      shards: shards.length,
      rows: plan.errors.rows,
      badRows: plan.errors.badRows,
      ms: Date.now() - started,
    });
    await fanIn(deps, jobId);
  } catch (error) {
    if (!(error instanceof PermanentError)) throw error;
    log.warn('job failed at planning', { reason: error.message, input: inputName, etag });
    await updateJobWithRetry(deps.ledger, jobId, (j) =>
      j.state === 'planning' ? { state: 'failed', error: ensureError(error).message } : undefined,
    );
  }
}

async function readAndRoute(deps: AnomalyDeps, job: JobRecord, inputName: string, signal: AbortSignal | undefined) {
  const { container = CONTAINERS.inbox, name = '', etag = '' } = job.input;
  const download = await deps.blobs.get(container, name).catch((error: unknown) => {
    throw error instanceof NotFoundError
      ? new InputError(inputName, 'the input blob no longer exists', { cause: error })
      : error;
  });
  if (download.properties.etag !== etag) {
    download.stream.destroy();
    throw new InputError(
      inputName,
      `the blob changed after it was submitted (ETag ${download.properties.etag}, expected ${etag}); submit the new version`,
    );
  }
  const pinned = (detailOf(job).pins ?? {}) as Record<string, (PinnedModel & { windowSeconds: number | null }) | null>;
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
  for await (const line of textLines(download.stream, inputName)) {
    lineNo += 1;
    if (lineNo === 1) {
      const bad = checkReadingsHeader(line);
      if (bad) throw new InputError(inputName, bad);
      continue;
    }
    if (Date.now() - beat > HEARTBEAT_MS) {
      signal?.throwIfAborted();
      beat = Date.now();
      await updateJobWithRetry(deps.ledger, job.jobId, (j) =>
        j.state !== 'planning' ? undefined : { counts: { ...j.counts, planRows: lineNo - 1 } },
      );
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
      const pin = pinned[key];
      plan =
        pin !== undefined
          ? {
              device: row.reading.device,
              tag: row.reading.tag,
              model: pin ?? undefined,
              windowSeconds: pin?.windowSeconds ?? deps.settings.defaultWindowSeconds,
            }
          : await planSeries(deps, row.reading.device, row.reading.tag);
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
    await writeParts(
      router.add(row.reading, plan.windowSeconds * 1000 * deps.settings.windowsPerShard, {
        ts: row.reading.ts,
        value: row.reading.value,
      }),
    );
  }
  if (lineNo === 0) throw new InputError(inputName, 'the file is empty');
  await writeParts(router.flush());
  const models: JsonValue = [...series.values()]
    .filter((s) => s.model)
    .map((s) => `${s.model?.name}@${s.model?.version}`);
  return { router, errors: errors.summary(), series, models };
}

async function planSeries(deps: AnomalyDeps, device: string, tag: string): Promise<SeriesPlan> {
  const model = await deps.models.latest(modelNameFor(deps.settings.modelPattern, { device, tag }));
  return { device, tag, model, windowSeconds: model?.windowSeconds ?? deps.settings.defaultWindowSeconds };
}
