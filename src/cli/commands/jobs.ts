import { stat } from 'node:fs/promises';
import { InputError, NotFoundError, PreconditionFailedError } from '../../core/errors.js';
import type { JobView } from '../../usecases/operator/jobView.js';
import { loadConfig } from '../../config/config.js';
import { startLocalRuntime } from '../../composition/local/localRuntime.js';
import { findRunningRuntime } from '../../composition/local/runtimeLock.js';
import { getJobDetail } from '../../usecases/operator/jobDetailView.js';
import { listJobViews } from '../../usecases/operator/jobView.js';
import { parseCommandArgs, requirePositional } from '../args.js';
import { fileLogger, withLocalContext } from '../context.js';
import { followJob } from '../followJob.js';
import { println, type CliIo } from '../io.js';
import { printJobReport } from '../printSummary.js';
import { writeResults } from '../resultsFiles.js';
import { submitFile, type JobOptions } from '../submitFile.js';

/** Options that steer a job: the style model, the fit policy, and what a failed shard does. */
const JOB_OPTIONS = {
  model: { type: 'string' },
  fit: { type: 'string' },
  'on-shard-error': { type: 'string' },
} as const;

function jobOptions(values: { model?: string; fit?: string; 'on-shard-error'?: string }): JobOptions {
  if (values.fit !== undefined && values.fit !== 'stretch' && values.fit !== 'letterbox')
    throw new InputError('--fit', `must be stretch or letterbox, got "${values.fit}"`);
  const policy = values['on-shard-error'];
  if (policy !== undefined && policy !== 'fail' && policy !== 'passthrough')
    throw new InputError('--on-shard-error', `must be fail or passthrough, got "${policy}"`);
  return { model: values.model, fit: values.fit, on_shard_error: policy };
}

/** `tessera submit FILE [--no-follow]`: hands a file to the running runtime and follows its job. */
export async function submitCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('submit', args, {
    'no-follow': { type: 'boolean' },
    ...JOB_OPTIONS,
  });
  const file = requirePositional('submit', positionals, 0, 'FILE');
  const config = loadConfig();
  if (!findRunningRuntime(config.home)) {
    throw new InputError(
      'tessera submit',
      `no runtime is running over ${config.home}: start one with "tessera up", or use "tessera run ${file}"`,
    );
  }
  return withLocalContext(async (ctx) => {
    const job = await submitFile(ctx, file, jobOptions(values));
    println(io, `submitted ${file} as job ${job.jobId}`);
    if (values['no-follow']) return 0;
    const progress = await followJob(ctx.ledger, job.jobId, io.err, () => {
      if (findRunningRuntime(config.home)) return Promise.resolve();
      return Promise.reject(
        new Error(
          `the runtime over ${config.home} stopped before job ${job.jobId} ended; it resumes when a runtime runs again ("tessera up")`,
        ),
      );
    });
    printJobReport(io, await getJobDetail(ctx, job.jobId));
    return progress.job.state === 'succeeded' ? 0 : 1;
  }, config);
}

/**
 * `tessera run FILE [--out DIR]`: the one-shot form. Uses the running runtime if there is one,
 * otherwise starts the embedded runtime in this process for the job's duration.
 */
export async function runCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('run', args, { out: { type: 'string' }, ...JOB_OPTIONS });
  const file = requirePositional('run', positionals, 0, 'FILE');
  if (!(await stat(file).catch(() => undefined))?.isFile()) throw new InputError(file, 'no such file');
  const config = loadConfig();
  let runtime = findRunningRuntime(config.home)
    ? undefined
    : await startLocalRuntime(config, fileLogger(config, 'runtime'));
  // The runtime in use may be another `run`'s, which stops when its own job ends: then start ours.
  const keepRuntime = async () => {
    if (runtime || findRunningRuntime(config.home)) return;
    runtime = await startLocalRuntime(config, fileLogger(config, 'runtime')).catch((error: unknown) => {
      if (error instanceof PreconditionFailedError) return undefined; // another process started one first
      throw error;
    });
  };
  try {
    return await withLocalContext(async (ctx) => {
      const job = await submitFile(ctx, file, jobOptions(values));
      println(io, `job ${job.jobId} (${file})`);
      const progress = await followJob(ctx.ledger, job.jobId, io.err, keepRuntime);
      printJobReport(io, await getJobDetail(ctx, job.jobId));
      if (values.out) {
        const written = await writeResults(ctx.blobs, job.jobId, values.out);
        println(io, `results in ${values.out}: ${written.map((p) => p.split('/').pop()).join(', ')}`);
      }
      return progress.job.state === 'succeeded' ? 0 : 1;
    }, config);
  } finally {
    await runtime?.stop();
  }
}

/** `tessera status [JOB] [--json]`: the JSON is the API's stable shape (`{ jobs: Job[] }`, or one JobDetail). */
export async function statusCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('status', args, {
    json: { type: 'boolean' },
    limit: { type: 'string', default: '20' },
  });
  return withLocalContext(async (ctx, config) => {
    const jobId = positionals[0];
    if (jobId) {
      const detail = await getJobDetail(ctx, jobId).catch((error: unknown) => {
        throw error instanceof NotFoundError ? new InputError(jobId, 'no such job') : error;
      });
      if (values.json) println(io, JSON.stringify(detail, null, 2));
      else {
        const { job, shards } = detail;
        const s = job.progress.shards;
        const rows = shards.reduce((n, x) => n + (x.state === 'succeeded' ? (x.counts.rows ?? 0) : 0), 0);
        println(io, `job ${job.id} (${job.kind}) ${job.state}: ${inputLabel(job.input)}`);
        println(
          io,
          `  shards ${s.succeeded} done, ${s.running} running, ${s.failed} failed, of ${s.total}; rows done ${rows}`,
        );
        for (const f of detail.errors.shards.slice(0, 10)) println(io, `  failed shard ${f.shardId}: ${f.reason}`);
        if (job.state === 'succeeded' || job.state === 'failed') printJobReport(io, detail);
        else if (job.error) println(io, `  error: ${job.error}`);
      }
      return 0;
    }
    const jobs = await listJobViews(ctx.ledger, { limit: Number(values.limit) || 20 });
    const running = findRunningRuntime(config.home);
    if (values.json) println(io, JSON.stringify({ jobs }, null, 2));
    else {
      println(
        io,
        running
          ? `runtime: pid ${running.pid}, ${running.workers} workers, since ${running.startedAt}`
          : 'runtime: not running',
      );
      for (const j of jobs)
        println(
          io,
          `${j.id}  ${j.state.padEnd(9)} ${j.createdAt}  ${j.input.name ?? j.input.tick ?? ''}${j.error ? `  (${j.error.slice(0, 80)})` : ''}`,
        );
    }
    return 0;
  });
}

function inputLabel(input: JobView['input']): string {
  if (input.container !== null && input.name !== null) return `${input.container}/${input.name}`;
  return input.tick === null ? '' : `tick ${input.tick}`;
}

/** `tessera results JOB --out DIR`: downloads a job's result files. */
export async function resultsCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('results', args, { out: { type: 'string' } });
  const jobId = requirePositional('results', positionals, 0, 'JOB');
  if (!values.out) throw new InputError('tessera results', 'missing --out DIR');
  const out = values.out;
  return withLocalContext(async (ctx) => {
    if (!(await ctx.ledger.getJob(jobId))) throw new InputError(jobId, 'no such job');
    const written = await writeResults(ctx.blobs, jobId, out);
    if (written.length === 0) throw new InputError(jobId, 'the job has no result files (yet)');
    for (const path of written) println(io, path);
    return 0;
  });
}
