import { Option, type Command } from 'commander';
import { startLocalRuntime, type LocalRuntime } from '../../composition/local/localRuntime.js';
import { findRunningRuntime } from '../../composition/local/runtimeLock.js';
import { InputError, PreconditionFailedError } from '../../core/errors.js';
import type { ApiClient } from '../apiClient.js';
import { apiOptions, formatOf, type CliEnv } from '../cliEnv.js';
import { fileLogger } from '../context.js';
import { downloadResults } from '../downloadResults.js';
import { followJob } from '../followJob.js';
import { println } from '../io.js';
import { printJson } from '../output.js';
import { printJobReport } from '../printSummary.js';
import { checkSubmission, uploadFile, type JobOptions } from '../submitFile.js';

type JobFlags = { model?: string; fit?: string; onShardError?: string; output?: string; json?: boolean };

/** `--model`, `--fit`, `--on-shard-error`: what steers a job (they travel with the file as blob metadata). */
function jobOptions(command: Command): Command {
  return command
    .option('--model <ref>', 'style model of a video job: name, name@version or name@tag')
    .addOption(new Option('--fit <policy>', 'how frames meet a fixed-size model').choices(['stretch', 'letterbox']))
    .addOption(
      new Option('--on-shard-error <policy>', 'what a failed frame range does').choices(['fail', 'passthrough']),
    );
}

function optionsOf(flags: JobFlags): JobOptions {
  return { model: flags.model, fit: flags.fit, on_shard_error: flags.onShardError };
}

/** Follows a job to its end, prints its report (or its JSON), downloads its files into `out`; exit 0 only if it succeeded. */
async function finishFollowing(
  env: CliEnv,
  client: ApiClient,
  jobId: string,
  flags: { out?: string; output?: string; json?: boolean },
  check?: () => Promise<void>,
): Promise<void> {
  const detail = await followJob(client, jobId, env.io.err, check ? { check } : {});
  if (formatOf(flags) === 'json') printJson(env.io, detail);
  else printJobReport(env.io, detail);
  if (flags.out && detail.files.length > 0) {
    const written = await downloadResults(client, jobId, flags.out);
    if (formatOf(flags) === 'table')
      println(env.io, `results in ${flags.out}: ${written.map((p) => p.split('/').pop()).join(', ')}`);
  }
  env.exitCode = detail.job.state === 'succeeded' ? 0 : 1;
}

/**
 * `tessera run FILE`: uploads it, and locally starts the embedded runtime in this process for the
 * job's duration when none runs; follows the job, prints its report, downloads its files into `out`.
 */
export async function runFile(
  env: CliEnv,
  file: string,
  flags: JobFlags & { out?: string; remote?: string },
): Promise<void> {
  const { client, local } = await env.api(flags.remote);
  let runtime: LocalRuntime | undefined;
  let failed: Error | undefined;
  // The runtime in use may be another `run`'s, which stops when its own job ends: then start ours.
  // Ours failing (its workers keep dying) ends the command with the reason.
  const keepRuntime = async () => {
    if (failed) throw failed;
    if (!local || runtime || findRunningRuntime(local.config.home)) return;
    runtime = await startLocalRuntime(local.config, fileLogger(local.config, 'runtime'), { oneShot: true }).catch(
      (error: unknown) => {
        if (error instanceof PreconditionFailedError) return undefined; // another process started one first
        throw error;
      },
    );
    void runtime?.failed.then((reason) => (failed = reason));
  };
  try {
    // A bad input is refused before anything starts; then the runtime starts while the file uploads,
    // so that its worker processes are loaded when the job arrives (a second of every run otherwise).
    const checked = await checkSubmission(client, file, optionsOf(flags));
    const [uploaded, started] = await Promise.allSettled([
      uploadFile(client, file, optionsOf(flags), checked),
      keepRuntime(),
    ]);
    if (uploaded.status === 'rejected') throw uploaded.reason;
    if (started.status === 'rejected') throw started.reason;
    const job = uploaded.value;
    if (formatOf(flags) === 'table') println(env.io, `job ${job.id} (${file})`);
    await finishFollowing(env, client, job.id, flags, local ? keepRuntime : undefined);
  } finally {
    await runtime?.stop();
  }
}

export function registerJobCommands(program: Command, env: CliEnv): void {
  apiOptions(jobOptions(program.command('submit')))
    .description("hand FILE to the runtime (the local one, or --remote's) and follow its job")
    .argument('<file>', 'a .csv of readings or a video')
    .option('--no-follow', 'print the job id and return at once')
    .option('--out <dir>', 'download the result files into DIR when the job ends')
    .action(async (file: string, flags: JobFlags & { follow: boolean; out?: string; remote?: string }) => {
      const { client, local } = await env.api(flags.remote);
      if (local && !findRunningRuntime(local.config.home))
        throw new InputError(
          'tessera submit',
          `no runtime is running over ${local.config.home}: start one with "tessera up", or use "tessera run ${file}"`,
        );
      const job = await uploadFile(client, file, optionsOf(flags));
      if (formatOf(flags) === 'table') println(env.io, `submitted ${file} as job ${job.id}`);
      if (!flags.follow) {
        if (formatOf(flags) === 'json') printJson(env.io, { job });
        return;
      }
      const home = local?.config.home;
      const check = home
        ? () =>
            findRunningRuntime(home)
              ? Promise.resolve()
              : Promise.reject(
                  new Error(
                    `the runtime over ${home} stopped before job ${job.id} ended; it resumes when a runtime runs again ("tessera up")`,
                  ),
                )
        : undefined;
      await finishFollowing(env, client, job.id, flags, check);
    });

  apiOptions(jobOptions(program.command('run')))
    .description("one-shot: run FILE's job, starting the embedded runtime in this process if none runs, and follow it")
    .argument('<file>', 'a .csv of readings or a video')
    .option('--out <dir>', 'download the result files into DIR')
    .action((file: string, flags: JobFlags & { out?: string; remote?: string }) => runFile(env, file, flags));

  apiOptions(program.command('follow'))
    .description('follow a job until it ends, then print its report (exit 0 only if it succeeded)')
    .argument('<job>', 'a job id')
    .option('--out <dir>', 'download the result files into DIR when it ends')
    .action(async (jobId: string, flags: { out?: string; remote?: string; output?: string; json?: boolean }) => {
      const { client } = await env.api(flags.remote);
      await finishFollowing(env, client, jobId, flags);
    });

  apiOptions(program.command('results'))
    .description("download a job's result files")
    .argument('<job>', 'a job id')
    .requiredOption('--out <dir>', 'where to write them (made if missing)')
    .action(async (jobId: string, flags: { out: string; remote?: string; output?: string; json?: boolean }) => {
      const { client } = await env.api(flags.remote);
      const written = await downloadResults(client, jobId, flags.out);
      if (formatOf(flags) === 'json') printJson(env.io, { files: written });
      else for (const path of written) println(env.io, path);
    });
}
