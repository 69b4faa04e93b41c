import { CONTAINERS, modelNameFor } from '../../core/jobNaming.js';
import { safeName } from '../../core/sharding.js';
import { decodeWindowBatch } from '../../core/windowStore.js';
import type { PinnedModel } from '../../ports/models.js';
import { detailOf } from '../jobDetail.js';
import type { Plan, PlanContext, PlannedShard } from '../jobKind.js';
import { readBlobText } from '../readBlobText.js';
import type { RunWindow, StreamDeps, StreamScoreMessage } from './deps.js';
import { pendingBlobs, unscoredBatches } from './streamBatches.js';

/**
 * Plans a stream run: takes the window batches no successful run has scored and the windows
 * earlier runs held back for want of a model (pinning both lists on the job, so a re-run plans the
 * same), groups their windows by device into parts, pins each series' model, and makes one shard
 * per device.
 */
export async function planStreamRun(deps: StreamDeps, ctx: PlanContext): Promise<Plan> {
  const { job } = ctx;
  const pinned = detailOf(job);
  const batches = (pinned.batches as string[] | undefined) ?? (await unscoredBatches(deps));
  const pending = (pinned.pending as string[] | undefined) ?? (await pendingBlobs(deps));
  if (pinned.batches === undefined || pinned.pending === undefined) await ctx.pin({ batches, pending });
  const byDevice = new Map<string, { lines: string[]; tags: Set<string> }>();
  let windows = 0;
  let revisions = 0;
  const add = (w: RunWindow) => {
    let d = byDevice.get(w.window.device);
    if (!d) byDevice.set(w.window.device, (d = { lines: [], tags: new Set() }));
    d.lines.push(JSON.stringify(w));
    d.tags.add(w.window.tag);
    windows += 1;
    if (w.window.revision > 1) revisions += 1;
  };
  for (const batch of batches)
    for (const window of decodeWindowBatch(await readBlobText(deps.blobs, CONTAINERS.windows, batch)))
      add({ batch, window });
  for (const blob of pending)
    for (const line of (await readBlobText(deps.blobs, CONTAINERS.windows, blob)).split('\n'))
      if (line !== '') add(JSON.parse(line) as RunWindow);
  const shards: PlannedShard[] = [];
  const modelRefs = new Map<string, PinnedModel | null>();
  for (const [device, d] of [...byDevice.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const shardId = safeName(device);
    const part = `${job.jobId}/parts/${shardId}.jsonl`;
    await deps.blobs.put(CONTAINERS.work, part, `${d.lines.join('\n')}\n`, { contentType: 'application/x-ndjson' });
    const models: Record<string, PinnedModel | null> = {};
    for (const tag of [...d.tags].sort()) {
      const name = modelNameFor(deps.settings.modelPattern, { device, tag });
      if (!modelRefs.has(name)) modelRefs.set(name, (await deps.models.latest(name)) ?? null);
      models[tag] = modelRefs.get(name) ?? null;
    }
    const message: StreamScoreMessage = { kind: 'stream-score', jobId: job.jobId, shardId, device, part, models };
    shards.push({ message });
  }
  return {
    shards,
    counts: { batches: batches.length, pendingBlobs: pending.length, windows, revisions, devices: byDevice.size },
    log: { batches: batches.length, pending: pending.length, windows, devices: byDevice.size },
  };
}
