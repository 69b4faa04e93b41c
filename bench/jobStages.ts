import { loadConfig } from '../src/config/config.js';
import { openLocalContext } from '../src/composition/local/localContext.js';
import { createLogger } from '../src/hosting/logger.js';
import { detailOf } from '../src/usecases/jobDetail.js';

export interface JobStages {
  /** From the job's creation to its plan's start (the plan message's wait). */
  readonly beforePlanSeconds: number;
  readonly planSeconds: number;
  /** From the plan's end to the last shard's success. */
  readonly scoreSeconds: number;
  /** From the last shard's success to the job's end (fan-in, the finish message, results). */
  readonly finishSeconds: number;
  readonly shards: number;
  readonly rows: number;
  readonly parts: number;
  readonly windows: number;
  /**
   * The share of the workers' time in the score stage not spent inside shards' work (claim to
   * completion): messages, ledger updates, fan-in, and idle ends.
   */
  readonly fixedShare: number;
}

/** The stages of the one job in a TESSERA_HOME, from its ledger. */
export async function jobStages(home: string): Promise<JobStages> {
  const config = loadConfig({ TESSERA_HOME: home });
  const ctx = openLocalContext(config, createLogger({ level: 'error', sink: () => {} }));
  try {
    const [job] = await ctx.ledger.listJobs({ limit: 1 });
    if (!job) throw new Error(`no job in ${home}`);
    const detail = detailOf(job);
    const shards = await ctx.ledger.listShards(job.jobId);
    const planMs = Number(detail.planMs);
    const plannedAt = Date.parse(detail.plannedAt as string);
    const finishedAt = Date.parse(detail.finishedAt as string);
    const lastShard = Math.max(...shards.map((s) => s.updatedAt.getTime()));
    const sum = (key: string) => shards.reduce((n, s) => n + (s.counts[key] ?? 0), 0);
    const scoreSeconds = (lastShard - plannedAt) / 1000;
    return {
      beforePlanSeconds: (plannedAt - planMs - job.createdAt.getTime()) / 1000,
      planSeconds: planMs / 1000,
      scoreSeconds,
      finishSeconds: (finishedAt - lastShard) / 1000,
      shards: shards.length,
      rows: sum('rows'),
      parts: sum('parts'),
      windows: sum('windows'),
      fixedShare: 1 - sum('ms') / 1000 / (scoreSeconds * config.workers),
    };
  } finally {
    await ctx.close();
  }
}
