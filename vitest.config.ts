import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['lakeloop-source'] },
  // Vite 6+: tests run in the SSR environment, whose resolver takes its own conditions; without this,
  // `import 'lakeloop'` (pipelines, examples) cannot resolve to src/.
  ssr: { resolve: { conditions: ['lakeloop-source'] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'pipelines/**/*.test.ts', 'examples/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Without LAKELOOP_TEST_LAKEFS=1, tests never see the caller's LAKEFS_* (test/setup-test-env.ts).
    setupFiles: ['test/setup-test-env.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default', 'json'],
    outputFile: { json: 'test-report.json' },
  },
});
