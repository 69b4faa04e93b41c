import { shardHandler, type JobKind } from '../jobKind.js';
import { JOB_KIND, type AnomalyDeps } from './deps.js';
import { finishAnomalyJob } from './finishAnomaly.js';
import { planAnomalyJob } from './planAnomaly.js';
import { decodeScoreMessage, scoreAnomalyShard } from './scoreAnomalyShard.js';

/** The anomaly job kind: plan a CSV of readings into series shards, score their windows, stitch the scores. */
export function anomalyJob(deps: AnomalyDeps): JobKind {
  return {
    name: JOB_KIND,
    plan: (ctx) => planAnomalyJob(deps, ctx),
    shards: {
      score: shardHandler({
        decode: decodeScoreMessage,
        work: (msg, ctx) => scoreAnomalyShard(deps, msg, ctx),
      }),
    },
    finish: (ctx) => finishAnomalyJob(deps, ctx),
  };
}
