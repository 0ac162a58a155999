/**
 * The summary `npm start` ends with: one row per registered model version (oldest first) with its
 * data commit, training rows, AUC, log loss, gate verdict, whether it is the champion now, and the
 * duration of the pipeline run that produced it (from the instance's run records).
 *
 * @example
 * ```ts
 * const rows = await versionTable({ registry, instance, modelName: 'flight-delays' });
 * console.log(formatVersionTable(rows));
 * ```
 */
import type { Instance } from 'lakeloop';
import { isLakeloopError } from 'lakeloop';
import { LineageTag } from 'lakeloop/tracking';
import type { ModelRegistry } from 'lakeloop/tracking';
import { CHAMPION_ALIAS, VERSION_TAG } from './evaluate-model-asset.js';

/** One row of the summary. */
export interface VersionRow {
  version: string;
  dataCommit: string;
  evaluationMonth: string;
  trainRows: number;
  auc: number;
  logLoss: number;
  /** Whether the quality gates passed (the alias moved to it then). */
  gate: 'passed' | 'failed' | 'unknown';
  /** Whether it is the champion now. */
  champion: boolean;
  pipelineRunId: string;
  /** Wall time of the pipeline run, seconds (undefined when its record is not in this instance). */
  durationSeconds: number | undefined;
}

/** Options of {@link versionTable}. */
export interface VersionTableOptions {
  registry: ModelRegistry;
  /** Where the pipeline runs are recorded (for durations). */
  instance: Instance;
  modelName: string;
}

/** Reads the rows (oldest version first); empty when the model is not registered. */
export async function versionTable(options: VersionTableOptions): Promise<VersionRow[]> {
  const { registry, instance, modelName } = options;
  let versions;
  try {
    versions = await registry.searchModelVersions({ name: modelName });
  } catch (error) {
    if (isLakeloopError(error, 'NOT_FOUND')) return [];
    throw error;
  }
  const rows: VersionRow[] = [];
  for (const v of [...versions].sort((a, b) => Number(a.version) - Number(b.version))) {
    const runId = v.tags[LineageTag.PIPELINE_RUN_ID] ?? '';
    const run = runId === '' ? undefined : await instance.runs.getRun(runId);
    const gate = v.tags[VERSION_TAG.GATE];
    rows.push({
      version: v.version,
      dataCommit: v.tags[LineageTag.DATA_COMMIT] ?? '',
      evaluationMonth: v.tags[VERSION_TAG.EVALUATION_MONTH] ?? '',
      trainRows: Number(v.tags[VERSION_TAG.TRAIN_ROWS] ?? Number.NaN),
      auc: Number(v.tags[VERSION_TAG.AUC] ?? Number.NaN),
      logLoss: Number(v.tags[VERSION_TAG.LOG_LOSS] ?? Number.NaN),
      gate: gate === 'passed' || gate === 'failed' ? gate : 'unknown',
      champion: v.aliases.includes(CHAMPION_ALIAS),
      pipelineRunId: runId,
      durationSeconds:
        run?.startedAt === undefined || run.endedAt === undefined
          ? undefined
          : (run.endedAt - run.startedAt) / 1000,
    });
  }
  return rows;
}

/** The rows as a fixed-width text table. */
export function formatVersionTable(rows: readonly VersionRow[]): string {
  const header = [
    'version',
    'data commit',
    'evaluated on',
    'train rows',
    'AUC',
    'log loss',
    'gate',
    'champion',
    'duration',
  ];
  const body = rows.map((r) => [
    `v${r.version}`,
    r.dataCommit.slice(0, 12),
    r.evaluationMonth,
    r.trainRows.toLocaleString('en-US'),
    r.auc.toFixed(4),
    r.logLoss.toFixed(4),
    r.gate,
    r.champion ? '* champion' : '',
    r.durationSeconds === undefined ? '' : `${r.durationSeconds.toFixed(1)} s`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i >= 3 && i <= 5 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}
