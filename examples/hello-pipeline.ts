/**
 * A small example pipeline for the docs, tests and `npm start` until the flagship pipeline
 * exists: numbers -> cleaned (with a blocking check) -> stats -> report, plus a monthly
 * partitioned asset and a job. `report` shows a typed resource (`ctx.resources.units`) and a run
 * config schema (`ctx.config.digits`, default 2).
 *
 * ```sh
 * node bin/lakeloop.js materialize --defs examples/hello-pipeline.ts --select '*'
 * echo '{ "report": { "digits": 4 } }' > run.json
 * node bin/lakeloop.js materialize --defs examples/hello-pipeline.ts --select report+ --config run.json
 * node bin/lakeloop.js assets list --defs examples/hello-pipeline.ts
 * ```
 *
 * Environment switches used by the tests: `HELLO_FAIL_STATS=1` makes `stats` throw;
 * `HELLO_CODE_VERSION` sets the code version of `cleaned`.
 */
import { z } from 'zod';
import {
  defineAsset,
  defineCheck,
  defineJob,
  defineResource,
  Definitions,
  monthlyPartitions,
  output,
} from 'lakeloop';

/** A resource: set up once per run (lazily), seen by each step through `bind`, torn down after the run. */
export const units = defineResource({
  description: 'Formats numbers with a unit; counts what each step formatted.',
  setup: () => ({ unit: 'pts', formatted: 0 }),
  bind: (state, step) => ({
    value: {
      format: (n: number, digits: number) => {
        state.formatted++;
        return `${n.toFixed(digits)} ${state.unit}`;
      },
    },
    finish: (result) => {
      if (result.ok) step.log.debug(`formatted ${state.formatted} values so far`);
    },
  }),
});

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

/** A text report (its precision is run config: `{ "report": { "digits": 4 } }`). */
export const report = defineAsset({
  key: 'report',
  group: 'analysis',
  deps: [stats],
  resources: { units },
  config: z.object({ digits: z.number().int().min(0).max(10).default(2) }),
  compute: (ctx, { stats }) =>
    `count=${stats.count} mean=${ctx.resources.units.format(stats.mean, ctx.config.digits)}`,
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
