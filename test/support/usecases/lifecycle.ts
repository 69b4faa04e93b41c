/** The lifecycle's steps for one job kind, as the tests call them directly (the dispatcher routes the same way). */
import type { JobRecord } from '../../../src/ports/jobLedger.js';
import { anomalyJob } from '../../../src/usecases/anomaly/anomalyJob.js';
import type { AnomalyDeps } from '../../../src/usecases/anomaly/deps.js';
import { finishJob, planJob, runShard } from '../../../src/usecases/jobLifecycle.js';
import type { StreamDeps } from '../../../src/usecases/stream/deps.js';
import { streamJob } from '../../../src/usecases/stream/streamJob.js';
import type { VideoDeps } from '../../../src/usecases/video/deps.js';
import { videoJob } from '../../../src/usecases/video/videoJob.js';

export const anomalyPlan = (deps: AnomalyDeps, jobId: string, signal?: AbortSignal): Promise<void> =>
  planJob(deps, anomalyJob(deps), jobId, signal);
export const anomalyShard = (deps: AnomalyDeps, body: unknown, signal?: AbortSignal): Promise<void> =>
  runShard(deps, anomalyJob(deps), body, signal);
export const anomalyFinish = (deps: AnomalyDeps, jobId: string): Promise<JobRecord> =>
  finishJob(deps, anomalyJob(deps), jobId);

export const videoPlan = (deps: VideoDeps, jobId: string, signal?: AbortSignal): Promise<void> =>
  planJob(deps, videoJob(deps), jobId, signal);
export const videoShard = (deps: VideoDeps, body: unknown, signal?: AbortSignal, nextMayStart?: () => void) =>
  runShard(deps, videoJob(deps), body, signal, nextMayStart);
export const videoFinish = (deps: VideoDeps, jobId: string, signal?: AbortSignal): Promise<JobRecord> =>
  finishJob(deps, videoJob(deps), jobId, signal);

export const streamPlan = (deps: StreamDeps, jobId: string): Promise<void> => planJob(deps, streamJob(deps), jobId);
export const streamShard = (deps: StreamDeps, body: unknown, signal?: AbortSignal): Promise<void> =>
  runShard(deps, streamJob(deps), body, signal);
export const streamFinish = (deps: StreamDeps, jobId: string): Promise<JobRecord> =>
  finishJob(deps, streamJob(deps), jobId);
