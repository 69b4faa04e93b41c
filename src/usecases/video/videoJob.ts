import { shardHandler, type JobKind } from '../jobKind.js';
import { VIDEO_JOB_KIND, type VideoDeps } from './deps.js';
import { finishVideoJob } from './finishVideo.js';
import { planVideoJob } from './planVideo.js';
import { decodeStyleMessage, styleRange } from './styleRange.js';
import { localJobDir } from './videoPaths.js';

/** The video job kind: probe and cut frame ranges, style them, stitch them with the original audio. */
export function videoJob(deps: VideoDeps): JobKind {
  return {
    name: VIDEO_JOB_KIND,
    plan: (ctx) => planVideoJob(deps, ctx),
    shards: {
      style: shardHandler({ decode: decodeStyleMessage, work: (msg, ctx) => styleRange(deps, msg, ctx) }),
    },
    finish: (ctx) => finishVideoJob(deps, ctx),
    // The input copy and any attempt's directory go once the job has ended, whichever finish ended it.
    cleanup: (job) => deps.tools.removeLocal(localJobDir(deps.settings.cacheDir, job.jobId)),
  };
}
