/**
 * Configuration of the flight-delay pipeline, in two parts:
 *
 * - **settings** fixed when the Definitions are built (the sensor needs them before any run):
 *   repository, branch, chunk prefix, model and experiment names; options of `buildDefinitions`,
 *   `LAKELOOP_FLIGHTS_REPOSITORY` / `LAKELOOP_FLIGHTS_BRANCH` for the default code location;
 * - the **run config** of the job `retrain` (a zod schema with defaults): hyperparameters, gates,
 *   folds, holdout, threads, baseline; changed per run with `--job retrain --config run.yaml`
 *   (section `retrain:`), and given defaults by `buildDefinitions({ config })`.
 *
 * @example
 * ```ts
 * const schema = runConfigSchema({ ...DEFAULT_RUN_CONFIG, aucFloor: 0.55 });
 * schema.parse({ gbdt: { maxIterations: 200 } }).gbdt.maxLeaves; // 31
 * ```
 */
import { z } from 'zod';
import { LakeloopError } from 'lakeloop';

/** Definition-time settings (see the module comment). */
export interface FlightSettings {
  /** Data repository holding the monthly chunks. */
  repository: string;
  /** Branch the sensor watches and runs read (at the run's commit). */
  branch: string;
  /** Object prefix of the chunk files (`<prefix>/<YYYY-MM>.parquet`). */
  prefix: string;
  /** Registered model name. */
  modelName: string;
  /** Tracking experiment name. */
  experimentName: string;
}

/** The defaults: `flights@main`, chunks under `flights/`, model and experiment `flight-delays`. */
export const DEFAULT_SETTINGS: FlightSettings = {
  repository: 'flights',
  branch: 'main',
  prefix: 'flights',
  modelName: 'flight-delays',
  experimentName: 'flight-delays',
};

/** The run config's values (the output of {@link runConfigSchema}). */
export interface FlightRunConfig {
  /** Gradient boosting hyperparameters. */
  gbdt: { maxIterations: number; maxLeaves: number; learningRate: number; minSamplesLeaf: number };
  /** Threads of the trainer (including the calling one); 0 = the machine's cores. */
  threads: number;
  /** Train the logistic-regression baseline too (logged as a child training run). */
  baseline: boolean;
  /** Gate: the new model's AUC on the evaluation month must be at least this. */
  aucFloor: number;
  /** Gate: the new model's AUC may be at most this much below the champion's on the same rows. */
  aucTolerance: number;
  /** Folds of the out-of-fold target encodings. */
  folds: number;
  /** With a single month of data: days at the end of it that form the evaluation set. */
  singleMonthHoldoutDays: number;
}

/** BRIEF §3's model (100 iterations, 31 leaves, lr 0.1) and the gates tuned for these features. */
export const DEFAULT_RUN_CONFIG: FlightRunConfig = {
  gbdt: { maxIterations: 100, maxLeaves: 31, learningRate: 0.1, minSamplesLeaf: 20 },
  threads: 0,
  baseline: true,
  aucFloor: 0.6,
  aucTolerance: 0.005,
  folds: 5,
  singleMonthHoldoutDays: 7,
};

/** Overrides of both parts, as `buildDefinitions({ config })` and the demo take them (gbdt may be partial). */
export type FlightConfigOverrides = Partial<FlightSettings> &
  Partial<Omit<FlightRunConfig, 'gbdt'>> & { gbdt?: Partial<FlightRunConfig['gbdt']> };

/** The job's run-config schema, every field defaulting to `defaults`. */
export function runConfigSchema(defaults: FlightRunConfig = DEFAULT_RUN_CONFIG) {
  const g = defaults.gbdt;
  return z.object({
    gbdt: z
      .object({
        maxIterations: z.number().int().min(1).max(10_000).default(g.maxIterations),
        maxLeaves: z.number().int().min(2).max(4096).default(g.maxLeaves),
        learningRate: z.number().positive().max(1).default(g.learningRate),
        minSamplesLeaf: z.number().int().min(1).default(g.minSamplesLeaf),
      })
      .prefault({}),
    threads: z.number().int().min(0).default(defaults.threads),
    baseline: z.boolean().default(defaults.baseline),
    aucFloor: z.number().min(0).max(1).default(defaults.aucFloor),
    aucTolerance: z.number().min(0).max(1).default(defaults.aucTolerance),
    folds: z.number().int().min(2).max(255).default(defaults.folds),
    singleMonthHoldoutDays: z.number().int().min(1).max(27).default(defaults.singleMonthHoldoutDays),
  });
}

/** Both parts resolved: settings, and the run config's defaults (validated by the schema). */
export interface ResolvedFlightConfig {
  settings: FlightSettings;
  runDefaults: FlightRunConfig;
}

/**
 * Splits and validates overrides: settings from the defaults, then `LAKELOOP_FLIGHTS_REPOSITORY`
 * / `_BRANCH`, then `overrides`; the run config's defaults from {@link DEFAULT_RUN_CONFIG} and
 * `overrides`.
 *
 * @throws LakeloopError `INVALID_ARGUMENT` naming the invalid field.
 * @example
 * ```ts
 * resolveFlightConfig({ aucFloor: 0.5 }, {}).runDefaults.aucFloor; // 0.5
 * ```
 */
export function resolveFlightConfig(
  overrides: FlightConfigOverrides = {},
  env: Readonly<Record<string, string | undefined>> = process.env,
): ResolvedFlightConfig {
  const { repository, branch, prefix, modelName, experimentName, ...run } = overrides;
  const fromEnv = (name: string): string | undefined => (env[name] === '' ? undefined : env[name]);
  const settings: FlightSettings = {
    repository: repository ?? fromEnv('LAKELOOP_FLIGHTS_REPOSITORY') ?? DEFAULT_SETTINGS.repository,
    branch: branch ?? fromEnv('LAKELOOP_FLIGHTS_BRANCH') ?? DEFAULT_SETTINGS.branch,
    prefix: prefix ?? DEFAULT_SETTINGS.prefix,
    modelName: modelName ?? DEFAULT_SETTINGS.modelName,
    experimentName: experimentName ?? DEFAULT_SETTINGS.experimentName,
  };
  for (const [field, value] of Object.entries(settings)) {
    if (value === '')
      throw new LakeloopError('INVALID_ARGUMENT', `The flight-delay setting ${field} must not be empty.`, {
        details: { field },
      });
  }
  const parsed = runConfigSchema().safeParse(run);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join('.') ?? '?';
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `Invalid flight-delay pipeline setting ${where}: ${issue?.message ?? 'invalid'}.`,
      { cause: parsed.error, details: { field: where } },
    );
  }
  return { settings, runDefaults: parsed.data };
}
