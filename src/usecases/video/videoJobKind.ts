import type { JobKind } from '../jobDispatcher.js';
import type { VideoDeps } from './deps.js';
import { finishVideoJob } from './finishVideoJob.js';
import { planVideoJob } from './planVideoJob.js';
import { decodeStyleMessage, styleShard } from './styleShard.js';

/** The video job kind: probe and cut frame ranges, style them, stitch them with the original audio. */
export function videoJobKind(deps: VideoDeps): JobKind {
  return {
    plan: (jobId, signal) => planVideoJob(deps, jobId, signal),
    finish: (jobId, signal) => finishVideoJob(deps, jobId, signal),
    shards: { style: (body, signal, nextMayStart) => styleShard(deps, decodeStyleMessage(body), signal, nextMayStart) },
  };
}
