import { PermanentError } from '../../core/errors.js';
import type { JobKind } from '../jobDispatcher.js';
import type { AnomalyDeps } from './deps.js';
import { finishJob } from './finishJob.js';
import { planJob } from './planJob.js';
import { scoreShard, type ScoreMessage } from './scoreShard.js';

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

/** The anomaly job kind: plan a CSV of readings, score its shards, stitch the scores. */
export function anomalyJobKind(deps: AnomalyDeps): JobKind {
  return {
    plan: (jobId, signal) => planJob(deps, jobId, signal),
    finish: (jobId) => finishJob(deps, jobId),
    shards: { score: (body, signal) => scoreShard(deps, decodeScoreMessage(body), signal) },
  };
}
