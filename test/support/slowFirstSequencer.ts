/**
 * The order test files start in. Two forks take the files one after the other, so the run ends
 * when the last long file ends: long files must start first. Vitest orders by the durations it
 * cached from the last run, when it has them for every file; without them (a fresh clone, as in
 * CI) it starts the larger files first, and the longest files here are among the smallest (a crash
 * matrix is 50 lines that start 20 runtimes), so they ran last, one fork idle while the other
 * finished them. Here the files known to be long start first, longest first; the rest follow in
 * vitest's order. A file missing from the list (a new one, a renamed one) only starts later.
 */
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Longest first (seconds alone on the 2-core machine, for the order only). */
export const LONG_FILES: readonly string[] = [
  'test/runtime/videoJob.e2e.test.ts', // 40
  'test/runtime/crashMatrix.video.e2e.test.ts', // 36
  'test/video/containersWithAudio.test.ts', // 34
  'test/runtime/crashMatrix.stream.e2e.test.ts', // 29
  'test/video/framePipeline.test.ts', // 26
  'test/scorer/scorerE2e.test.ts', // 25
  'test/build/functionsPackage.test.ts', // 24
  'test/usecases/lifecycle.races.test.ts', // 22
  'test/runtime/crashMatrix.anomaly.e2e.test.ts', // 21
  'test/cli/train.test.ts', // 21
  'test/video/finishVideoJob.test.ts', // 21
  'test/infra/infraCheck.test.ts', // 18
  'test/video/probe.test.ts', // 16
  'test/runtime/videoCrash.e2e.test.ts', // 15
  'test/dashboard/dashboard.test.ts', // 14
  'test/adapters/azure/serviceBusWorkQueue.test.ts', // 14
  'test/cli/run.test.ts', // 14
  'test/cli/models.test.ts', // 13
  'test/cli/sendSample.e2e.test.ts', // 12
  'test/adapters/local/sqliteWorkQueue.test.ts', // 11
  'test/runtime/videoCli.e2e.test.ts', // 11
  'test/runtime/workerCrash.e2e.test.ts', // 11
  'test/cli/dlq.test.ts', // 11
  'test/runtime/streamJob.e2e.test.ts', // 10
  'test/hosting/localApi.test.ts', // 10
  'test/runtime/upKilled.e2e.test.ts', // 10
  'test/cli/up.test.ts', // 10
];

export default class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const path = (f: TestSpecification) => relative(this.ctx.config.root, f.moduleId).replaceAll('\\', '/');
    const cached = (f: TestSpecification) =>
      this.ctx.cache.getFileTestResults(`${f.project.name}:${path(f)}`) !== undefined;
    if (sorted.every(cached)) return sorted; // vitest's own durations of the last run: longest first
    const rank = (f: TestSpecification) => {
      const i = LONG_FILES.indexOf(path(f));
      return i < 0 ? LONG_FILES.length : i;
    };
    return sorted
      .map((file, index) => ({ file, index }))
      .sort((a, b) => rank(a.file) - rank(b.file) || a.index - b.index)
      .map(({ file }) => file);
  }
}
