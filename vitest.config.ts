import { defineConfig } from 'vitest/config';
import SlowFirstSequencer from './test/support/slowFirstSequencer.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/buildGlobalSetup.ts', 'test/support/azuriteGlobalSetup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Worker processes and style-session threads run dist/ (which buildGlobalSetup has just built from
    // the sources) instead of the sources through tsx: a third of the CPU time for each start.
    env: { TESSERA_COMPILED_CHILDREN: '1' },
    pool: 'forks',
    // Two cores: keep the suite from oversubscribing the machine.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    // The long files first, so that the two forks end together (see the sequencer).
    sequence: { sequencer: SlowFirstSequencer },
  },
});
