/**
 * The hooks `lakeloop data commit` and `data merge` run: those of the data repository resources
 * (`dataRepositoryResource({ hooks })`) of the definitions module given with `--defs` (or
 * `$LAKELOOP_DEFS`). Without a module no hook runs. Warnings (failed WARN or non-blocking checks)
 * go to stderr; a refusing check fails the command with CHECK_FAILED.
 *
 * @example
 * ```sh
 * lakeloop data commit flights main -m "July" --defs pipelines/flight-delays/definitions.ts
 * ```
 */
import { Option } from 'commander';
import { loadDefinitions } from '../../core/execution/definitions-loader.js';
import { dataHooksOf, describeEvaluation } from '../../versioning/data-hooks.js';
import type { DataHookReport } from '../../versioning/data-hooks.js';
import type { OpenDataRepositoryOptions } from '../../versioning/data-repository-factory.js';

/** `--defs <file>` of the data commands that run hooks. */
export function dataHooksDefsOption(): Option {
  return new Option(
    '--defs <file>',
    'definitions module whose data resources declare pre-commit/pre-merge hooks',
  ).env('LAKELOOP_DEFS');
}

/** The open options that make a data client run the module's hooks (none without a module). */
export async function dataHookOptions(
  defs: string | undefined,
): Promise<Pick<OpenDataRepositoryOptions, 'hooks' | 'onHookReport'>> {
  if (defs === undefined || defs === '') return {};
  const hooks = dataHooksOf((await loadDefinitions({ path: defs })).resources);
  if (hooks.length === 0) return {};
  return { hooks, onHookReport: printHookReport };
}

function printHookReport(report: DataHookReport): void {
  const failed = report.evaluations.filter((evaluation) => !evaluation.passed);
  // A refusing report becomes the command's error; print only what does not block.
  if (report.refused) return;
  for (const evaluation of failed)
    process.stderr.write(`warning: ${describeEvaluation(evaluation)} failed\n`);
  process.stderr.write(
    `${report.event}: ${report.evaluations.length - failed.length}/${report.evaluations.length} check(s) passed\n`,
  );
}
