import { NotFoundError, PermanentError, ensureError } from '../../core/errors.js';
import { CONTAINERS, partBlobName, shardOutputName } from '../../core/jobNaming.js';
import { scoreLine } from '../../core/scoreRows.js';
import { forEachShardRow } from '../../core/sharding.js';
import { SeriesWindows, parseFeatureList, writeFeatures } from '../../core/windowing.js';
import { TERMINAL_SHARD_STATES } from '../../ports/jobLedger.js';
import { fanIn } from '../fanIn.js';
import { updateShardWithRetry } from '../ledgerRetry.js';
import { readBlobText } from '../readBlobText.js';
import type { AnomalyDeps, AnomalyMessage } from './deps.js';

export type ScoreMessage = Extract<AnomalyMessage, { kind: 'score' }>;

/**
 * Scores one shard: reads its parts, builds its windows, scores them with the pinned model,
 * and writes one output blob named after the job and shard. Idempotent: an output that already
 * exists is not recomputed, and the output is written whole or not at all, so a worker killed
 * mid-shard leaves nothing behind and the redelivered message finishes the work.
 */
export async function scoreShard(deps: AnomalyDeps, msg: ScoreMessage, signal?: AbortSignal): Promise<void> {
  const log = deps.log.child({ jobId: msg.jobId, shardId: msg.shardId });
  const job = await deps.ledger.getJob(msg.jobId);
  if (!job) throw new PermanentError(`score: job ${msg.jobId} does not exist`);
  const outName = shardOutputName(msg.jobId, msg.shardId);
  const shard = await updateShardWithRetry(deps.ledger, msg.jobId, msg.shardId, (s) =>
    TERMINAL_SHARD_STATES.includes(s.state) ? undefined : { state: 'running', attempts: s.attempts + 1 },
  );
  if (TERMINAL_SHARD_STATES.includes(shard.state)) {
    // A failed shard stays failed: its job may already have finished without it.
    log.info('shard already terminal', { state: shard.state });
    if (shard.state === 'succeeded') await fanIn(deps, msg.jobId);
    return;
  }
  const started = Date.now();
  let counts: { windows: number; anomalies: number; rows: number };
  const existing = await deps.blobs.head(CONTAINERS.work, outName);
  if (existing?.metadata.windows !== undefined) {
    counts = {
      windows: Number(existing.metadata.windows),
      anomalies: Number(existing.metadata.anomalies),
      rows: msg.rows,
    };
    log.info('shard output exists; not recomputed');
  } else {
    counts = await computeShard(deps, msg, outName, job.input, signal);
  }
  signal?.throwIfAborted();
  // A shard that failed meanwhile (its message dead-lettered while this worker was slow) stays
  // failed: its job may already have finished without it.
  await updateShardWithRetry(deps.ledger, msg.jobId, msg.shardId, (s) =>
    TERMINAL_SHARD_STATES.includes(s.state)
      ? undefined
      : { state: 'succeeded', error: undefined, counts: { ...s.counts, ...counts, ms: Date.now() - started } },
  );
  log.info('shard scored', { windows: counts.windows, anomalies: counts.anomalies, ms: Date.now() - started });
  await fanIn(deps, msg.jobId);
}

async function computeShard(
  deps: AnomalyDeps,
  msg: ScoreMessage,
  outName: string,
  input: Readonly<Record<string, string>>,
  signal: AbortSignal | undefined,
): Promise<{ windows: number; anomalies: number; rows: number }> {
  const modelRef = `${msg.model.name}@${msg.model.version}`;
  const featureNames = parseFeatureList((await deps.scorer.features(msg.model)).join(','));
  if (!featureNames)
    throw new PermanentError(
      `model ${modelRef}: its "features" metadata names an unknown feature (known: mean, std, min, max)`,
    );
  // Parts are folded into window accumulators one at a time: memory grows with windows, not rows.
  const series = new SeriesWindows(msg.device, msg.tag, msg.windowSeconds);
  let rows = 0;
  for (let part = 0; part < msg.parts; part++) {
    const name = partBlobName(msg.jobId, msg.shardId, part);
    const text = await readBlobText(deps.blobs, CONTAINERS.work, name).catch((error: unknown) => {
      throw error instanceof NotFoundError
        ? new PermanentError(`shard ${msg.shardId}: its part ${CONTAINERS.work}/${name} is missing`, { cause: error })
        : error;
    });
    rows += forEachShardRow(text, (ts, value) => series.add(ts, value));
    signal?.throwIfAborted();
  }
  if (rows !== msg.rows)
    throw new PermanentError(`shard ${msg.shardId}: expected ${msg.rows} rows in ${msg.parts} parts, found ${rows}`);
  if (deps.settings.faultShardDelayMs > 0) await sleep(deps.settings.faultShardDelayMs, signal);
  const windows = series.windows();
  const nf = featureNames.length;
  const features = new Float32Array(windows.length * nf);
  windows.forEach((w, i) => writeFeatures(w, featureNames, features, i * nf));
  const { scores, labels } = await deps.scorer.score(msg.model, features, windows.length, nf);
  signal?.throwIfAborted();
  const lineage = {
    model: modelRef,
    modelSha256: msg.model.sha256,
    inputBlob: `${input.container}/${input.name}`,
    inputEtag: input.etag ?? '',
  };
  let text = '';
  let anomalies = 0;
  windows.forEach((w, i) => {
    const label = labels[i] ?? 0;
    if (label === -1) anomalies += 1;
    text += scoreLine(w, scores[i] ?? Number.NaN, label, lineage);
  });
  signal?.throwIfAborted();
  await deps.blobs.put(CONTAINERS.work, outName, text, {
    contentType: 'text/csv',
    metadata: { windows: String(windows.length), anomalies: String(anomalies) },
  });
  return { windows: windows.length, anomalies, rows };
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(ensureError(signal.reason));
      },
      { once: true },
    );
  });
}
