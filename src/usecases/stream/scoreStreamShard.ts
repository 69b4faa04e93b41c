import { PermanentError } from '../../core/errors.js';
import { CONTAINERS, shardOutputName } from '../../core/jobNaming.js';
import { parseFeatureList, writeFeatures } from '../../core/windowing.js';
import { streamScoreLine, type StoredWindow } from '../../core/windowStore.js';
import { TERMINAL_SHARD_STATES } from '../../ports/jobLedger.js';
import { fanIn } from '../fanIn.js';
import { updateShardWithRetry } from '../ledgerRetry.js';
import { readBlobText } from '../readBlobText.js';
import type { StreamDeps, StreamScoreMessage } from './deps.js';

export function decodeStreamScoreMessage(body: unknown): StreamScoreMessage {
  const b = body as Partial<StreamScoreMessage> | null;
  if (
    !b ||
    b.kind !== 'stream-score' ||
    typeof b.jobId !== 'string' ||
    typeof b.shardId !== 'string' ||
    typeof b.device !== 'string' ||
    typeof b.part !== 'string' ||
    typeof b.models !== 'object' ||
    b.models === null
  ) {
    throw new PermanentError(`malformed stream-score message: ${JSON.stringify(body)?.slice(0, 200) ?? ''}`, {
      code: 'MalformedMessage',
    });
  }
  return b as StreamScoreMessage;
}

/**
 * Scores one device's windows of a stream run, each with its series' pinned model, and writes one
 * output named after the run and the device. A window whose length is not its model's
 * `window_seconds`, or whose series has no model, is counted (and named in the run's summary)
 * instead of being scored with the wrong model. Idempotent like the batch shards.
 */
export async function scoreStreamShard(deps: StreamDeps, msg: StreamScoreMessage, signal?: AbortSignal): Promise<void> {
  const shard = await updateShardWithRetry(deps.ledger, msg.jobId, msg.shardId, (s) =>
    TERMINAL_SHARD_STATES.includes(s.state) ? undefined : { state: 'running', attempts: s.attempts + 1 },
  );
  if (TERMINAL_SHARD_STATES.includes(shard.state)) {
    if (shard.state === 'succeeded') await fanIn(deps, msg.jobId);
    return;
  }
  const entries = (await readBlobText(deps.blobs, CONTAINERS.work, msg.part))
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { batch: string; window: StoredWindow });
  const byTag = new Map<string, typeof entries>();
  for (const e of entries) (byTag.get(e.window.tag) ?? byTag.set(e.window.tag, []).get(e.window.tag)!).push(e);
  let text = '';
  const counts: Record<string, number> = { windows: 0, anomalies: 0, noModel: 0, windowMismatch: 0, revisions: 0 };
  for (const [tag, list] of [...byTag.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const model = msg.models[tag] ?? null;
    if (!model) {
      counts.noModel = (counts.noModel ?? 0) + list.length;
      continue;
    }
    const seconds = model.windowSeconds;
    if (!(seconds > 0)) throw new PermanentError(`model ${model.name}@${model.version}: no window length was pinned`);
    const fit = list.filter((e) => e.window.end - e.window.start === seconds * 1000);
    counts.windowMismatch = (counts.windowMismatch ?? 0) + list.length - fit.length;
    if (fit.length === 0) continue;
    const features = parseFeatureList((await deps.scorer.features(model)).join(','));
    if (!features)
      throw new PermanentError(
        `model ${model.name}@${model.version}: its "features" metadata names an unknown feature`,
      );
    const rows = new Float32Array(fit.length * features.length);
    fit.forEach((e, i) => writeFeatures(e.window, features, rows, i * features.length));
    const { scores, labels } = await deps.scorer.score(model, rows, fit.length, features.length);
    signal?.throwIfAborted();
    fit.forEach((e, i) => {
      const label = labels[i] ?? 0;
      if (label === -1) counts.anomalies = (counts.anomalies ?? 0) + 1;
      if (e.window.revision > 1) counts.revisions = (counts.revisions ?? 0) + 1;
      counts.windows = (counts.windows ?? 0) + 1;
      text += streamScoreLine(
        e.window,
        scores[i] ?? Number.NaN,
        label,
        `${model.name}@${model.version}`,
        model.sha256,
        e.batch,
      );
    });
  }
  await deps.blobs.put(CONTAINERS.work, shardOutputName(msg.jobId, msg.shardId), text, { contentType: 'text/csv' });
  signal?.throwIfAborted();
  await updateShardWithRetry(deps.ledger, msg.jobId, msg.shardId, (s) =>
    TERMINAL_SHARD_STATES.includes(s.state)
      ? undefined
      : { state: 'succeeded', error: undefined, counts: { ...s.counts, ...counts } },
  );
  await fanIn(deps, msg.jobId);
}
