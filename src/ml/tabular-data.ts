/**
 * The data every lakeloop trainer takes: a row-major float32 feature matrix and one label per row,
 * and the checks that turn bad input into specific errors.
 *
 * @example
 * ```ts
 * import type { TabularData } from 'lakeloop/ml';
 * const data: TabularData = {
 *   features: Float32Array.from([1, 2, 3, 4]), rows: 2, columns: 2,
 *   featureNames: ['hour', 'distance'], labels: Uint8Array.from([0, 1]),
 * };
 * ```
 */
import { LakeloopError } from '../errors.js';

/** A row-major feature matrix with labels. */
export interface TabularData {
  /** `rows * columns` values, row after row. NaN marks a missing value. */
  features: Float32Array;
  rows: number;
  columns: number;
  /** Column names, recorded in the model (and in ONNX metadata). Default `f0`, `f1`, ... */
  featureNames?: string[];
  /** One label per row: 0/1 for binary classification, any finite number for regression. */
  labels: Float32Array | Uint8Array;
}

/** Why training data was refused. */
export const TrainingDataProblem = {
  EMPTY: 'EMPTY',
  SHAPE: 'SHAPE',
  SINGLE_CLASS: 'SINGLE_CLASS',
  NON_BINARY_LABEL: 'NON_BINARY_LABEL',
  NON_FINITE_LABEL: 'NON_FINITE_LABEL',
  NON_FINITE_FEATURE: 'NON_FINITE_FEATURE',
  FEATURE_COUNT: 'FEATURE_COUNT',
  BAD_PARAMETER: 'BAD_PARAMETER',
  /** The training buffers would exceed WebAssembly's 4 GiB memory. */
  TOO_LARGE: 'TOO_LARGE',
} as const;

/** A {@link TrainingDataProblem} value. */
export type TrainingDataProblem = (typeof TrainingDataProblem)[keyof typeof TrainingDataProblem];

/** The error a trainer or a model throws for unusable input; `problem` says which check failed. */
export class TrainingDataError extends LakeloopError {
  override readonly name = 'TrainingDataError';
  readonly problem: TrainingDataProblem;

  constructor(problem: TrainingDataProblem, message: string, details: Record<string, unknown> = {}) {
    super('INVALID_ARGUMENT', message, { details: { problem, ...details } });
    this.problem = problem;
  }
}

/** Options of {@link validateTrainingData}. */
export interface ValidateTrainingDataOptions {
  /** `'binary'` requires labels 0/1 with both classes present; `'regression'` any finite labels. */
  task: 'binary' | 'regression';
  /** What the data is called in messages. Default `'training data'`. */
  what?: string;
}

/** Throws a {@link TrainingDataError} unless `data` is usable for training. */
export function validateTrainingData(data: TabularData, options: ValidateTrainingDataOptions): void {
  const what = options.what ?? 'training data';
  if (!Number.isInteger(data.rows) || !Number.isInteger(data.columns) || data.rows < 0 || data.columns < 0) {
    throw new TrainingDataError(
      'SHAPE',
      `The ${what} has an invalid shape (rows ${data.rows}, columns ${data.columns}).`,
    );
  }
  if (data.rows === 0 || data.columns === 0) {
    throw new TrainingDataError(
      'EMPTY',
      `The ${what} is empty (${data.rows} rows, ${data.columns} columns); provide at least one row and one feature.`,
      { rows: data.rows, columns: data.columns },
    );
  }
  if (data.features.length !== data.rows * data.columns) {
    throw new TrainingDataError(
      'SHAPE',
      `The ${what} has ${data.features.length} feature values but rows × columns = ${data.rows * data.columns}; features must be row-major.`,
    );
  }
  if (data.labels.length !== data.rows) {
    throw new TrainingDataError(
      'SHAPE',
      `The ${what} has ${data.labels.length} labels for ${data.rows} rows; give exactly one label per row.`,
    );
  }
  if (data.featureNames !== undefined && data.featureNames.length !== data.columns) {
    throw new TrainingDataError(
      'SHAPE',
      `The ${what} names ${data.featureNames.length} features but has ${data.columns} columns.`,
    );
  }
  const labels = data.labels;
  let positives = 0;
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i] ?? Number.NaN;
    if (!Number.isFinite(y)) {
      throw new TrainingDataError(
        'NON_FINITE_LABEL',
        `The ${what} has a ${String(y)} label at row ${i}; drop or fix rows whose label is NaN or infinite.`,
        { row: i },
      );
    }
    if (options.task === 'binary') {
      if (y !== 0 && y !== 1) {
        throw new TrainingDataError(
          'NON_BINARY_LABEL',
          `The ${what} has label ${y} at row ${i}; binary classification needs labels 0 and 1.`,
          { row: i },
        );
      }
      positives += y;
    }
  }
  if (options.task === 'binary' && (positives === 0 || positives === data.rows)) {
    throw new TrainingDataError(
      'SINGLE_CLASS',
      `The ${what} has only class ${positives === 0 ? 0 : 1} in ${data.rows} rows; a classifier needs rows of both classes.`,
      { rows: data.rows, positives },
    );
  }
}

/** Throws a {@link TrainingDataError} unless `features` holds `rows` rows of `columns` values. */
export function checkPredictInput(features: Float32Array, rows: number, columns: number): void {
  if (!Number.isInteger(rows) || rows < 0) {
    throw new TrainingDataError(
      'SHAPE',
      `Cannot predict ${rows} rows; give a non-negative integer row count.`,
    );
  }
  if (features.length !== rows * columns) {
    const actual = rows === 0 ? features.length : features.length / rows;
    const got = Number.isInteger(actual) ? `${actual} per row` : `${features.length} values for ${rows} rows`;
    throw new TrainingDataError(
      'FEATURE_COUNT',
      `The model was trained on ${columns} features but got ${got}; pass the same columns, in the same order, as at training.`,
      { expectedColumns: columns, values: features.length, rows },
    );
  }
}

/** The feature names of `data`, or `f0`, `f1`, ... */
export function featureNamesOf(data: TabularData): string[] {
  return data.featureNames ?? Array.from({ length: data.columns }, (_, i) => `f${i}`);
}
