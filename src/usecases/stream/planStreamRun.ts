import { PermanentError, ensureError } from '../../core/errors.js';
import { CONTAINERS, modelNameFor, shardMessageId } from '../../core/jobNaming.js';
import { safeName } from '../../core/sharding.js';
import { decodeWindowBatch, type StoredWindow } from '../../core/windowStore.js';
import type { JsonValue } from '../../ports/jobLedger.js';
import type { PinnedModel } from '../anomaly/deps.js';
import { fanIn } from '../fanIn.js';
import { updateJobWithRetry } from '../ledgerRetry.js';
import { readBlobText } from '../readBlobText.js';
import type { StreamDeps, StreamScoreMessage } from './deps.js';
import { detailOf } from '../jobDetail.js';

/** Marker of a window batch whose windows a successful run scored. */
export const SCORED_PREFIX = '_scored/';

const BATCH = /\/p(\d+)-(\d+)-(\d+)\.jsonl$/;

/**
 * Window batches not yet scored by a successful run, in name order (date, hour, partition,
 * sequence). Only batches the aggregator has committed (their last event is at or before its
 * checkpoint) count: a batch written by a step that crashed before its checkpoint is undone on
 * restart, and must never be scored.
 */
export async function unscoredBatches(deps: Pick<StreamDeps, 'blobs' | 'events' | 'consumerGroup'>): Promise<string[]> {
  const scored = new Set<string>();
  for await (const b of deps.blobs.list(CONTAINERS.windows, SCORED_PREFIX))
    scored.add(b.name.slice(SCORED_PREFIX.length));
  const committed = new Map<number, number>();
  const out: string[] = [];
  for await (const b of deps.blobs.list(CONTAINERS.windows, 'date=')) {
    if (scored.has(b.name)) continue;
    const m = BATCH.exec(b.name);
    if (!m) continue;
    const partition = Number(m[1]);
    if (!committed.has(partition))
      committed.set(partition, (await deps.events.getCheckpoint(deps.consumerGroup, partition))?.sequenceNumber ?? -1);
    if (Number(m[3]) <= (committed.get(partition) ?? -1)) out.push(b.name);
  }
  return out;
}

/**
 * Plans a stream run: takes the window batches no successful run has scored (pinning the list on
 * the job, so a re-run plans the same), groups their windows by device into parts, pins each
 * series' model, and queues one shard per device.
 */
export async function planStreamRun(deps: StreamDeps, jobId: string): Promise<void> {
  const job = await deps.ledger.getJob(jobId);
  if (!job) throw new PermanentError(`plan: job ${jobId} does not exist`);
  if (job.state !== 'planning') return;
  const started = Date.now();
  try {
    const pinned = detailOf(job).batches as string[] | undefined;
    const batches = pinned ?? (await unscoredBatches(deps));
    if (!pinned)
      await updateJobWithRetry(deps.ledger, jobId, (j) =>
        j.state !== 'planning' ? undefined : { detail: { ...detailOf(j), batches } },
      );
    const byDevice = new Map<string, { lines: string[]; tags: Set<string> }>();
    let windows = 0;
    let revisions = 0;
    for (const batch of batches) {
      for (const w of decodeWindowBatch(await readBlobText(deps.blobs, CONTAINERS.windows, batch))) {
        let d = byDevice.get(w.device);
        if (!d) byDevice.set(w.device, (d = { lines: [], tags: new Set() }));
        d.lines.push(JSON.stringify({ batch, window: w satisfies StoredWindow }));
        d.tags.add(w.tag);
        windows += 1;
        if (w.revision > 1) revisions += 1;
      }
    }
    const messages: { messageId: string; body: StreamScoreMessage; subject: string }[] = [];
    const modelRefs = new Map<string, PinnedModel | null>();
    for (const [device, d] of [...byDevice.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      const shardId = safeName(device);
      const part = `${jobId}/parts/${shardId}.jsonl`;
      await deps.blobs.put(CONTAINERS.work, part, `${d.lines.join('\n')}\n`, { contentType: 'application/x-ndjson' });
      const models: Record<string, PinnedModel | null> = {};
      for (const tag of [...d.tags].sort()) {
        const name = modelNameFor(deps.settings.modelPattern, { device, tag });
        if (!modelRefs.has(name)) modelRefs.set(name, (await deps.models.latest(name)) ?? null);
        models[tag] = modelRefs.get(name) ?? null;
      }
      const body: StreamScoreMessage = { kind: 'stream-score', jobId, shardId, device, part, models };
      messages.push({ messageId: shardMessageId(jobId, shardId), body, subject: 'stream-score' });
    }
    await deps.ledger.addShards(
      jobId,
      messages.map((m) => ({ shardId: m.body.shardId, detail: { message: m.body as unknown as JsonValue } })),
    );
    for (let i = 0; i < messages.length; i += 100) await deps.queue.send(messages.slice(i, i + 100));
    await updateJobWithRetry(deps.ledger, jobId, (j) =>
      j.state !== 'planning'
        ? undefined
        : {
            state: 'running',
            shardsTotal: messages.length,
            counts: { ...j.counts, batches: batches.length, windows, revisions, devices: byDevice.size },
            detail: { ...detailOf(j), plannedAt: new Date().toISOString(), planMs: Date.now() - started },
          },
    );
    deps.log.info('stream run planned', { jobId, batches: batches.length, windows, devices: byDevice.size });
    await fanIn(deps, jobId);
  } catch (error) {
    if (!(error instanceof PermanentError)) throw error;
    await updateJobWithRetry(deps.ledger, jobId, (j) =>
      j.state === 'planning' ? { state: 'failed', error: ensureError(error).message } : undefined,
    );
  }
}
