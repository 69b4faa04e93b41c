import { NotFoundError, PermanentError } from '../../core/errors.js';
import { CONTAINERS, partBlobName, shardOutputName } from '../../core/jobNaming.js';
import { scoreLineWriter, scoreText } from '../../core/scoreRows.js';
import { decodeShardPart } from '../../core/sharding.js';
import { parseFeatureList, type FeatureName } from '../../core/windowing.js';
import { WindowTable } from '../../core/windowTable.js';
import { delay } from '../../lib/delay.js';
import type { Counts, ShardContext, ShardWork } from '../jobKind.js';
import { inputLabel } from '../jobLifecycle.js';
import { readBlobBytes } from '../readBlobText.js';
import { shardOutputMetadata } from '../shardOutput.js';
import type { AnomalyDeps, ScoreMessage } from './deps.js';

/** Checks a `score` message body and narrows it; a malformed body is permanent. */
export function decodeScoreMessage(body: unknown): ScoreMessage {
  const b = body as Partial<ScoreMessage> | null;
  const ok =
    !!b &&
    b.kind === 'score' &&
    typeof b.jobId === 'string' &&
    typeof b.shardId === 'string' &&
    typeof b.device === 'string' &&
    typeof b.tag === 'string' &&
    typeof b.windowSeconds === 'number' &&
    b.windowSeconds > 0 &&
    typeof b.parts === 'number' &&
    typeof b.rows === 'number' &&
    typeof b.model?.name === 'string' &&
    typeof b.model.version === 'number' &&
    typeof b.model.sha256 === 'string';
  if (!ok)
    throw new PermanentError(`malformed score message: ${JSON.stringify(body)?.slice(0, 200) ?? ''}`, {
      code: 'MalformedMessage',
    });
  return b as ScoreMessage;
}

/**
 * Scores one shard of an anomaly job: reads its parts, builds its windows, scores them with the
 * pinned model, and writes one output named after the job and the shard: its scores' lines, then its
 * anomalies' lines (`scoreBytes` in its counts says where they start).
 */
export function scoreAnomalyShard(deps: AnomalyDeps, msg: ScoreMessage, ctx: ShardContext): ShardWork {
  const output = shardOutputName(msg.jobId, msg.shardId);
  return { output, compute: () => computeShard(deps, msg, output, ctx) };
}

async function computeShard(deps: AnomalyDeps, msg: ScoreMessage, output: string, ctx: ShardContext): Promise<Counts> {
  const { signal } = ctx;
  const modelRef = `${msg.model.name}@${msg.model.version}`;
  const featureNames = parseFeatureList((await deps.scorer.features(msg.model)).join(','));
  if (!featureNames)
    throw new PermanentError(
      `model ${modelRef}: its "features" metadata names an unknown feature (known: mean, std, min, max)`,
    );
  // Parts are folded into window accumulators one at a time: memory grows with windows, not rows.
  const table = new WindowTable(msg.windowSeconds);
  const rows = await readParts(deps, msg, table, signal);
  if (rows !== msg.rows)
    throw new PermanentError(`shard ${msg.shardId}: expected ${msg.rows} rows in ${msg.parts} parts, found ${rows}`);
  if (deps.settings.faultShardDelayMs > 0) await delay(deps.settings.faultShardDelayMs, signal);
  signal?.throwIfAborted();
  const order = table.order();
  const nf = featureNames.length;
  const features = new Float32Array(order.length * nf);
  for (let i = 0; i < order.length; i++)
    for (let f = 0; f < nf; f++)
      features[i * nf + f] = table.feature(order[i] as number, featureNames[f] as FeatureName);
  const { scores, labels } = await deps.scorer.score(msg.model, features, order.length, nf);
  signal?.throwIfAborted();
  const line = scoreLineWriter(msg.device, msg.tag, table.windowMs, {
    model: modelRef,
    modelSha256: msg.model.sha256,
    inputBlob: inputLabel(ctx.job),
    inputEtag: ctx.job.input.etag ?? '',
  });
  // One output: the scores, then the anomalies' lines again, which finish joins into anomalies.csv.
  const text = scoreText(table, order, scores, labels, line);
  signal?.throwIfAborted();
  const counts = { windows: order.length, anomalies: text.anomalyCount, rows, scoreBytes: text.scoreBytes };
  await deps.blobs.put(CONTAINERS.work, output, text.bytes, {
    contentType: 'text/csv',
    metadata: shardOutputMetadata(counts),
  });
  return counts;
}

/** Folds the shard's parts into `table`, one part at a time; returns the rows read. */
async function readParts(
  deps: AnomalyDeps,
  msg: ScoreMessage,
  table: WindowTable,
  signal?: AbortSignal,
): Promise<number> {
  let rows = 0;
  for (let part = 0; part < msg.parts; part++) {
    const name = partBlobName(msg.jobId, msg.shardId, part);
    const bytes = await readBlobBytes(deps.blobs, CONTAINERS.work, name).catch((error: unknown) => {
      throw error instanceof NotFoundError
        ? new PermanentError(`shard ${msg.shardId}: its part ${CONTAINERS.work}/${name} is missing`, { cause: error })
        : error;
    });
    const decoded = decodeShardPart(bytes);
    if (!decoded) throw new PermanentError(`shard ${msg.shardId}: its part ${CONTAINERS.work}/${name} is corrupt`);
    const { ts, values } = decoded;
    for (let i = 0; i < ts.length; i++) table.add(ts[i] as number, values[i] as number);
    rows += ts.length;
    signal?.throwIfAborted();
  }
  return rows;
}
