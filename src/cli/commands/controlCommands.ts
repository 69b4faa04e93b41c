import type { Command } from 'commander';
import { delay } from '../../lib/delay.js';
import type { JobLogLine } from '../../ports/jobLogs.js';
import type { JobView } from '../../usecases/operator/jobView.js';
import { apiOptions, formatOf, type CliEnv } from '../cliEnv.js';
import { println, type CliIo } from '../io.js';
import { printJson } from '../output.js';

type Flags = { remote?: string; output?: string; json?: boolean };

function printChanged(env: CliEnv, flags: Flags, verb: string, job: JobView): void {
  if (formatOf(flags) === 'json') printJson(env.io, { job });
  else println(env.io, `${verb} job ${job.id}: ${job.state}${job.error ? ` (${job.error})` : ''}`);
}

const STANDARD = new Set(['time', 'level', 'msg', 'jobId']);

/** One log line as text: time, level, message, then its other fields as key=value. */
function logText(line: JobLogLine): string {
  const fields = Object.entries(line)
    .filter(([k]) => !STANDARD.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' && /\s/.test(v) ? JSON.stringify(v) : String(v)}`);
  return `${line.time} ${line.level.padEnd(5)} ${line.msg}${fields.length ? `  ${fields.join(' ')}` : ''}`;
}

function printLines(io: CliIo, lines: readonly JobLogLine[], json: boolean): void {
  for (const line of lines) println(io, json ? JSON.stringify(line) : logText(line));
}

export function registerControlCommands(program: Command, env: CliEnv): void {
  apiOptions(program.command('cancel'))
    .description('cancel a job that has not ended: it fails with the reason "cancelled"; its queued work is skipped')
    .argument('<job>', 'a job id')
    .action(async (jobId: string, flags: Flags) => {
      const { client } = await env.api(flags.remote);
      printChanged(env, flags, 'cancelled', await client.cancel(jobId));
    });

  apiOptions(program.command('retry'))
    .description('run a failed job again over the same file version, as a new attempt (a new id: <job>-<n>)')
    .argument('<job>', 'a failed job id')
    .action(async (jobId: string, flags: Flags) => {
      const { client } = await env.api(flags.remote);
      const job = await client.retry(jobId);
      printChanged(env, flags, 'retrying as', job);
    });

  apiOptions(program.command('logs'))
    .description("a job's structured log lines (from every process that worked on it), oldest first")
    .argument('<job>', 'a job id')
    .option('-f, --follow', 'keep printing new lines until the job ends')
    .action(async (jobId: string, flags: Flags & { follow?: boolean }) => {
      const { client } = await env.api(flags.remote);
      const json = formatOf(flags) === 'json';
      let page = await client.logs(jobId);
      printLines(env.io, page.lines, json);
      if (!flags.follow) return;
      for (;;) {
        const state = (await client.getJob(jobId)).job.state;
        await delay(300);
        page = await client.logs(jobId, page.cursor);
        printLines(env.io, page.lines, json);
        // One read after the job ended: the lines its ending wrote.
        if (state === 'succeeded' || state === 'failed') return;
      }
    });
}
