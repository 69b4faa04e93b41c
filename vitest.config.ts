import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/buildGlobalSetup.ts', 'test/support/azuriteGlobalSetup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two cores: keep the suite from oversubscribing the machine.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});
