import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['lakeloop-source'] },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'pipelines/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default', 'json'],
    outputFile: { json: 'test-report.json' },
  },
});
