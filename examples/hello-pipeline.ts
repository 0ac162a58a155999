/**
 * A small example pipeline for the docs, tests and `npm start` until the flagship pipeline
 * exists: numbers -> cleaned (with a blocking check) -> stats -> report, plus a monthly
 * partitioned asset and a job.
 *
 * ```sh
 * node bin/lakeloop.js materialize --defs examples/hello-pipeline.ts --select '*'
 * node bin/lakeloop.js assets list --defs examples/hello-pipeline.ts
 * ```
 *
 * Environment switches used by the tests: `HELLO_FAIL_STATS=1` makes `stats` throw;
 * `HELLO_CODE_VERSION` sets the code version of `cleaned`.
 */
import { defineAsset, defineCheck, defineJob, Definitions, monthlyPartitions, output } from 'lakeloop';

/** Raw numbers (as if loaded from a file). */
export const numbers = defineAsset({
  key: 'numbers',
  group: 'data',
  description: 'Raw numbers.',
  compute: () => [3, 1, 4, 1, 5, 9, 2, 6],
});

/** Numbers without duplicates, as a typed array column table. */
export const cleaned = defineAsset({
  key: 'cleaned',
  group: 'data',
  deps: [numbers],
  codeVersion: process.env.HELLO_CODE_VERSION ?? 'v1',
  compute: (ctx, { numbers }) => {
    const unique = [...new Set(numbers)].sort((a, b) => a - b);
    ctx.log.info(`kept ${unique.length} of ${numbers.length} numbers`);
    return { value: Float64Array.from(unique) };
  },
});

/** Summary statistics. */
export const stats = defineAsset({
  key: 'stats',
  group: 'analysis',
  deps: [cleaned],
  compute: (_ctx, { cleaned }) => {
    if (process.env.HELLO_FAIL_STATS === '1') throw new Error('stats failed on purpose (HELLO_FAIL_STATS=1)');
    const values = [...cleaned.value];
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    return output({ count: values.length, mean }, { metadata: { mean } });
  },
});

/** A text report. */
export const report = defineAsset({
  key: 'report',
  group: 'analysis',
  deps: [stats],
  compute: (_ctx, { stats }) => `count=${stats.count} mean=${stats.mean.toFixed(2)}`,
});

/** One value per month of 2001 (January to June). */
export const monthly = defineAsset({
  key: 'monthly',
  group: 'partitioned',
  partitions: monthlyPartitions({ start: '2001-01', end: '2001-07' }),
  compute: (ctx) => ({ month: ctx.partition }),
});

/** All months together (reads every materialized partition of `monthly`). */
export const months = defineAsset({
  key: 'months',
  group: 'partitioned',
  deps: [monthly],
  compute: (_ctx, { monthly }) => Object.keys(monthly).sort(),
});

/** `cleaned` must not be empty (blocking: an empty value is not stored). */
export const cleanedNotEmpty = defineCheck({
  name: 'not_empty',
  asset: cleaned,
  blocking: true,
  fn: (_ctx, value) => ({ passed: value.value.length > 0, metadata: { rows: value.value.length } }),
});

/** The example's definitions. */
export const defs = new Definitions({
  assets: [numbers, cleaned, stats, report, monthly, months],
  checks: [cleanedNotEmpty],
  jobs: [defineJob({ name: 'analysis', select: 'group:analysis' })],
});
