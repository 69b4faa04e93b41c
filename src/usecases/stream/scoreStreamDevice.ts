import { PermanentError } from '../../core/errors.js';
import { CONTAINERS, shardOutputName } from '../../core/jobNaming.js';
import { parseFeatureList, writeFeatures } from '../../core/windowing.js';
import { streamScoreLine } from '../../core/windowStore.js';
import type { Counts, ShardContext, ShardWork } from '../jobKind.js';
import { readBlobText } from '../readBlobText.js';
import { shardOutputMetadata } from '../shardOutput.js';
import type { RunWindow, StreamDeps, StreamScoreMessage } from './deps.js';

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

/** Where a stream shard keeps the windows it could not score for want of a model (one JSON line each). */
export function heldBackName(jobId: string, shardId: string): string {
  return `${jobId}/held/${shardId}.jsonl`;
}

/**
 * Scores one device's windows of a stream run, each with its series' pinned model, into one output
 * named after the run and the device. A window whose series has no model is held back (written
 * beside the output, for the run's finish to keep pending until a model exists); a window whose
 * length is not its model's `window_seconds` is counted (and named in the run's summary) instead
 * of being scored with the wrong model.
 */
export function scoreStreamDevice(deps: StreamDeps, msg: StreamScoreMessage, ctx: ShardContext): ShardWork {
  const output = shardOutputName(msg.jobId, msg.shardId);
  return { output, compute: () => computeDevice(deps, msg, output, ctx.signal) };
}

async function computeDevice(
  deps: StreamDeps,
  msg: StreamScoreMessage,
  output: string,
  signal: AbortSignal | undefined,
): Promise<Counts> {
  const entries = (await readBlobText(deps.blobs, CONTAINERS.work, msg.part))
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as RunWindow);
  const byTag = new Map<string, RunWindow[]>();
  for (const e of entries) (byTag.get(e.window.tag) ?? byTag.set(e.window.tag, []).get(e.window.tag)!).push(e);
  let text = '';
  const held: RunWindow[] = [];
  const counts: Counts = { windows: 0, anomalies: 0, noModel: 0, windowMismatch: 0, revisions: 0 };
  const add = (key: string, n: number) => (counts[key] = (counts[key] ?? 0) + n);
  for (const [tag, list] of [...byTag.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const model = msg.models[tag] ?? null;
    if (!model) {
      add('noModel', list.length);
      held.push(...list);
      continue;
    }
    const seconds = model.windowSeconds;
    if (!(seconds > 0)) throw new PermanentError(`model ${model.name}@${model.version}: no window length was pinned`);
    const fit = list.filter((e) => e.window.end - e.window.start === seconds * 1000);
    add('windowMismatch', list.length - fit.length);
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
      if (label === -1) add('anomalies', 1);
      if (e.window.revision > 1) add('revisions', 1);
      add('windows', 1);
      const ref = `${model.name}@${model.version}`;
      text += streamScoreLine(e.window, scores[i] ?? Number.NaN, label, ref, model.sha256, e.batch);
    });
  }
  // Held-back windows first: the output's existence says the shard's work is whole.
  if (held.length > 0)
    await deps.blobs.put(
      CONTAINERS.work,
      heldBackName(msg.jobId, msg.shardId),
      held.map((e) => JSON.stringify(e)).join('\n') + '\n',
      {
        contentType: 'application/x-ndjson',
      },
    );
  signal?.throwIfAborted();
  await deps.blobs.put(CONTAINERS.work, output, text, {
    contentType: 'text/csv',
    metadata: shardOutputMetadata(counts),
  });
  return counts;
}
