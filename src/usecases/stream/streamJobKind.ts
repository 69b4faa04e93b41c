import type { JobKind } from '../jobDispatcher.js';
import type { StreamDeps } from './deps.js';
import { finishStreamRun } from './finishStreamRun.js';
import { planStreamRun } from './planStreamRun.js';
import { decodeStreamScoreMessage, scoreStreamShard } from './scoreStreamShard.js';

/** The stream job kind: a scheduled run scoring the windows the aggregator closed since the last run. */
export function streamJobKind(deps: StreamDeps): JobKind {
  return {
    plan: (jobId) => planStreamRun(deps, jobId),
    finish: (jobId) => finishStreamRun(deps, jobId),
    shards: { 'stream-score': (body, signal) => scoreStreamShard(deps, decodeStreamScoreMessage(body), signal) },
  };
}
