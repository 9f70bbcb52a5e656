import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'probe-app/test/**/*.test.ts'],
    setupFiles: ['test/helpers/setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // The long files (local end-to-end, emulator) mostly wait on timers and I/O: on a 2-core machine three
    // workers finish the suite in about half the time of the default single worker, without starving each other.
    maxWorkers: 3,
    reporters: ['default', 'json'],
    outputFile: { json: '.test-results/vitest.json' },
  },
});
