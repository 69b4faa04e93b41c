import { Option, type Command } from 'commander';
import { findRunningRuntime } from '../../composition/local/runtimeLock.js';
import { InputError } from '../../core/errors.js';
import type { JobView } from '../../usecases/operator/jobView.js';
import type { JobDetail } from '../apiClient.js';
import { apiOptions, formatOf, type CliEnv } from '../cliEnv.js';
import { followJob } from '../followJob.js';
import { println, type CliIo } from '../io.js';
import { printJson, printTable } from '../output.js';
import { printJobReport } from '../printSummary.js';

function inputLabel(input: JobView['input']): string {
  if (input.container !== null && input.name !== null) return `${input.container}/${input.name}`;
  return input.tick === null ? '' : `tick ${input.tick}`;
}

function printDetail(io: CliIo, detail: JobDetail): void {
  const { job, shards } = detail;
  const s = job.progress.shards;
  const rows = shards.reduce((n, x) => n + (x.state === 'succeeded' ? (x.counts.rows ?? 0) : 0), 0);
  println(io, `job ${job.id} (${job.kind}) ${job.state}: ${inputLabel(job.input)}`);
  println(
    io,
    `  shards ${s.succeeded} done, ${s.running} running, ${s.failed} failed, of ${s.total}; rows done ${rows}`,
  );
  if (job.retryOf) println(io, `  attempt ${job.attempt}, a retry of ${job.retryOf}`);
  if (job.retriedBy) println(io, `  retried as ${job.retriedBy}`);
  for (const f of detail.errors.shards.slice(0, 10)) println(io, `  failed shard ${f.shardId}: ${f.reason}`);
  if (job.state === 'succeeded' || job.state === 'failed') printJobReport(io, detail);
  else if (job.error) println(io, `  error: ${job.error}`);
}

function printJobs(env: CliEnv, jobs: readonly JobView[], remote: boolean): void {
  if (!remote) {
    const running = findRunningRuntime(env.config().home);
    println(
      env.io,
      running
        ? `runtime: pid ${running.pid}, ${running.workers} workers, since ${running.startedAt}`
        : 'runtime: not running',
    );
  }
  printTable(
    env.io,
    ['JOB', 'KIND', 'STATE', 'PROGRESS', 'CREATED', 'INPUT'],
    jobs.map((j) => [
      j.id,
      j.kind,
      j.state,
      `${j.progress.shards.succeeded + j.progress.shards.failed}/${j.progress.shards.total}`,
      j.createdAt,
      `${inputLabel(j.input)}${j.error ? `  (${j.error.slice(0, 80)})` : ''}`,
    ]),
  );
}

type StatusFlags = {
  watch?: boolean;
  limit: string;
  state?: string;
  kind?: string;
  remote?: string;
  output?: string;
  json?: boolean;
};

export function registerStatusCommand(program: Command, env: CliEnv): void {
  apiOptions(program.command('status'))
    .description("list jobs, or one job's progress, shards, errors and report")
    .argument('[job]', 'a job id')
    .option('-w, --watch', 'follow JOB until it ends (as "tessera follow JOB")')
    .option('--limit <n>', 'list at most N jobs', '20')
    .addOption(
      new Option('--state <state>', 'list only jobs in this state').choices([
        'planning',
        'running',
        'finishing',
        'succeeded',
        'failed',
      ]),
    )
    .option('--kind <kind>', 'list only jobs of this kind (anomaly, video, stream, unknown)')
    .action(async (jobId: string | undefined, flags: StatusFlags) => {
      const limit = Number(flags.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
        throw new InputError('--limit', `must be an integer from 1 to 1000, got "${flags.limit}"`);
      const { client, local } = await env.api(flags.remote);
      if (jobId === undefined) {
        if (flags.watch) throw new InputError('tessera status -w', 'give the JOB to follow');
        const jobs = await client.listJobs({ limit, state: flags.state, kind: flags.kind });
        if (formatOf(flags) === 'json') printJson(env.io, { jobs });
        else printJobs(env, jobs, local === undefined);
        return;
      }
      const detail = await (flags.watch ? followJob(client, jobId, env.io.err) : client.getJob(jobId)).catch(
        (error: unknown) => {
          throw (error as { code?: string }).code === 'NotFound' ? new InputError(jobId, 'no such job') : error;
        },
      );
      if (formatOf(flags) === 'json') printJson(env.io, detail);
      else printDetail(env.io, detail);
      if (flags.watch) env.exitCode = detail.job.state === 'succeeded' ? 0 : 1;
    });
}
