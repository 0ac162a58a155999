/** Which metric and param columns the training-runs table shows, from the runs it holds. */
import type { TrainingRun } from './types.js';

/** At most this many metric columns and param columns (the rest is in the run's detail). */
export const MAX_METRIC_COLUMNS = 6;
export const MAX_PARAM_COLUMNS = 4;

/** Metric keys by how many runs have them, then by name. */
export function metricColumns(runs: readonly TrainingRun[]): string[] {
  const counts = new Map<string, number>();
  for (const run of runs)
    for (const key of Object.keys(run.metrics)) counts.set(key, (counts.get(key) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, MAX_METRIC_COLUMNS)
    .map(([key]) => key);
}

/** Param keys whose values differ between the runs (what tells runs apart), by name. */
export function paramColumns(runs: readonly TrainingRun[]): string[] {
  return differingKeys(runs.map((r) => r.params)).slice(0, MAX_PARAM_COLUMNS);
}

/** The keys whose value is not the same in every record (missing counts as a value). */
export function differingKeys(records: readonly Record<string, string>[]): string[] {
  const keys = [...new Set(records.flatMap((r) => Object.keys(r)))].sort();
  return keys.filter((key) => new Set(records.map((r) => r[key])).size > 1);
}

/** Whether a run is a child run (MLflow's nested runs, e.g. a baseline logged inside a training run). */
export function isChildRun(run: TrainingRun): boolean {
  return run.tags['mlflow.parentRunId'] !== undefined;
}
