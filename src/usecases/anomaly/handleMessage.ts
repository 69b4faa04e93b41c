import { PermanentError } from '../../core/errors.js';
import type { AnomalyDeps, AnomalyMessage } from './deps.js';
import { finishJob } from './finishJob.js';
import { planJob } from './planJob.js';
import { scoreShard, type ScoreMessage } from './scoreShard.js';

/** Checks a queue message body and narrows it; a malformed body is permanent. */
export function decodeAnomalyMessage(body: unknown): AnomalyMessage {
  const b = body as (Omit<Partial<ScoreMessage>, 'kind'> & { kind?: unknown }) | null;
  if (!b || typeof b !== 'object' || typeof b.jobId !== 'string') throw new PermanentError(`malformed message body: ${JSON.stringify(body)?.slice(0, 200)}`);
  if (b.kind === 'plan' || b.kind === 'finish') return { kind: b.kind, jobId: b.jobId };
  if (b.kind === 'score') {
    const ok = typeof b.shardId === 'string' && typeof b.device === 'string' && typeof b.tag === 'string' &&
      typeof b.windowSeconds === 'number' && b.windowSeconds > 0 && typeof b.parts === 'number' && typeof b.rows === 'number' &&
      typeof b.model?.name === 'string' && typeof b.model.version === 'number' && typeof b.model.sha256 === 'string';
    if (ok) return b as ScoreMessage;
  }
  throw new PermanentError(`malformed ${String(b.kind)} message for job ${b.jobId}`);
}

/** Runs the use case a message asks for. */
export async function handleAnomalyMessage(deps: AnomalyDeps, body: unknown, signal?: AbortSignal): Promise<void> {
  const msg = decodeAnomalyMessage(body);
  switch (msg.kind) {
    case 'plan':
      return planJob(deps, msg.jobId, signal);
    case 'score':
      return scoreShard(deps, msg, signal);
    case 'finish':
      await finishJob(deps, msg.jobId);
      return;
  }
}
