import type { JobLedger, JobState } from '../../ports/jobLedger.js';
import type { WorkQueue } from '../../ports/workQueue.js';

const STATES: readonly JobState[] = ['planning', 'running', 'finishing', 'succeeded', 'failed'];

function escape(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/**
 * The local runtime's counters in the Prometheus text format (0.0.4), computed at each scrape from
 * the ledger and the queue: the simple way, no metrics SDK. (The scorer's OpenTelemetry metrics are
 * exported separately; this is what `tessera up` shows at /metrics.)
 */
export async function runtimeMetrics(deps: {
  ledger: JobLedger;
  queue: WorkQueue;
  workers: number;
  startedAt: number;
}): Promise<string> {
  const jobs = new Map<string, number>();
  for (const state of STATES)
    for (const job of await deps.ledger.listJobs({ state, limit: 1_000_000 })) {
      const key = `kind="${escape(job.kind)}",state="${state}"`;
      jobs.set(key, (jobs.get(key) ?? 0) + 1);
    }
  const dead = (await deps.queue.peekDeadLetters({ maxMessages: 100_000 })).length;
  const lines = [
    '# HELP tessera_jobs Jobs in the ledger, by kind and state.',
    '# TYPE tessera_jobs gauge',
    ...[...jobs.entries()].sort().map(([labels, n]) => `tessera_jobs{${labels}} ${n}`),
    '# HELP tessera_queue_messages Messages in the work queue: active (waiting or locked) and dead-lettered.',
    '# TYPE tessera_queue_messages gauge',
    `tessera_queue_messages{queue="${escape(deps.queue.name)}",state="active"} ${await deps.queue.countActive()}`,
    `tessera_queue_messages{queue="${escape(deps.queue.name)}",state="deadlettered"} ${dead}`,
    '# HELP tessera_workers Worker processes the runtime keeps running.',
    '# TYPE tessera_workers gauge',
    `tessera_workers ${deps.workers}`,
    '# HELP tessera_runtime_uptime_seconds Seconds since the runtime started.',
    '# TYPE tessera_runtime_uptime_seconds gauge',
    `tessera_runtime_uptime_seconds ${((Date.now() - deps.startedAt) / 1000).toFixed(3)}`,
  ];
  return `${lines.join('\n')}\n`;
}
