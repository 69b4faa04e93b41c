import { shardHandler, type JobKind } from '../jobKind.js';
import { STREAM_JOB_KIND, type StreamDeps } from './deps.js';
import { finishStreamRun } from './finishStream.js';
import { planStreamRun } from './planStream.js';
import { decodeStreamScoreMessage, scoreStreamDevice } from './scoreStreamDevice.js';

/** The stream job kind: a scheduled run scoring the windows the aggregator closed since the last run. */
export function streamJob(deps: StreamDeps): JobKind {
  return {
    name: STREAM_JOB_KIND,
    plan: (ctx) => planStreamRun(deps, ctx),
    shards: {
      'stream-score': shardHandler({
        decode: decodeStreamScoreMessage,
        work: (msg, ctx) => scoreStreamDevice(deps, msg, ctx),
      }),
    },
    finish: (ctx) => finishStreamRun(deps, ctx),
  };
}
