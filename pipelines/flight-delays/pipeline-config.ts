/**
 * Configuration of the flight-delay pipeline: where the data is (repository, branch, prefix), the
 * model's hyperparameters and the quality gates. Defaults suit flights-3m; every value can be
 * overridden in code (`buildDefinitions({ config })`) or by `LAKELOOP_FLIGHTS_*` environment
 * variables, and everything is validated with zod.
 *
 * @example
 * ```ts
 * const config = resolvePipelineConfig({ overrides: { aucFloor: 0.55 }, env: process.env });
 * console.log(config.gbdt.maxIterations); // 100
 * ```
 */
import { z } from 'zod';
import { LakeloopError } from 'lakeloop';

const configSchema = z.object({
  /** Data repository holding the monthly chunks. */
  repository: z.string().min(1),
  /** Branch the sensor watches and runs read (at the run's commit). */
  branch: z.string().min(1),
  /** Object prefix of the chunk files (`<prefix>/<YYYY-MM>.parquet`). */
  prefix: z.string().min(1),
  /** Registered model name. */
  modelName: z.string().min(1),
  /** Tracking experiment name. */
  experimentName: z.string().min(1),
  /** Gradient boosting hyperparameters. */
  gbdt: z.object({
    maxIterations: z.number().int().min(1).max(10_000),
    maxLeaves: z.number().int().min(2).max(4096),
    learningRate: z.number().positive().max(1),
    minSamplesLeaf: z.number().int().min(1),
  }),
  /** Threads of the trainer (including the calling one); 0 = the machine's cores. */
  threads: z.number().int().min(0),
  /** Train the logistic-regression baseline too (logged as its own training run). */
  baseline: z.boolean(),
  /** Gate: the new model's AUC on the evaluation month must be at least this. */
  aucFloor: z.number().min(0).max(1),
  /** Gate: the new model's AUC may be at most this much below the champion's on the same month. */
  aucTolerance: z.number().min(0).max(1),
  /** Folds of the out-of-fold target encodings. */
  folds: z.number().int().min(2).max(255),
  /** With a single month of data: days at the end of it that form the evaluation set. */
  singleMonthHoldoutDays: z.number().int().min(1).max(27),
});

/** The pipeline's configuration (see the schema's field comments). */
export type PipelineConfig = z.infer<typeof configSchema>;

/** Overrides of {@link PipelineConfig} (gbdt may be given partially). */
export type PipelineConfigOverrides = Partial<Omit<PipelineConfig, 'gbdt'>> & {
  gbdt?: Partial<PipelineConfig['gbdt']>;
};

/** The defaults: BRIEF §3's model (100 iterations, 31 leaves, lr 0.1) on `flights@main`. */
export const DEFAULT_PIPELINE_CONFIG: PipelineConfig = {
  repository: 'flights',
  branch: 'main',
  prefix: 'flights',
  modelName: 'flight-delays',
  experimentName: 'flight-delays',
  gbdt: { maxIterations: 100, maxLeaves: 31, learningRate: 0.1, minSamplesLeaf: 20 },
  threads: 0,
  baseline: true,
  aucFloor: 0.6,
  aucTolerance: 0.005,
  folds: 5,
  singleMonthHoldoutDays: 7,
};

/** Environment variables read by {@link resolvePipelineConfig} (numbers are parsed). */
export const PIPELINE_ENV = {
  repository: 'LAKELOOP_FLIGHTS_REPOSITORY',
  branch: 'LAKELOOP_FLIGHTS_BRANCH',
  aucFloor: 'LAKELOOP_FLIGHTS_AUC_FLOOR',
  aucTolerance: 'LAKELOOP_FLIGHTS_AUC_TOLERANCE',
  maxIterations: 'LAKELOOP_FLIGHTS_GBDT_ITERATIONS',
  threads: 'LAKELOOP_FLIGHTS_THREADS',
} as const;

/** Options of {@link resolvePipelineConfig}. */
export interface ResolvePipelineConfigOptions {
  /** Values that win over the environment and the defaults. Default none. */
  overrides?: PipelineConfigOverrides;
  /** Environment to read. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
}

function fromEnv(env: Readonly<Record<string, string | undefined>>): PipelineConfigOverrides {
  const text = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value === '' ? undefined : value;
  };
  const number = (name: string): number | undefined => {
    const value = text(name);
    if (value === undefined) return undefined;
    const parsed = Number(value);
    if (!Number.isFinite(parsed)) {
      throw new LakeloopError('INVALID_ARGUMENT', `${name}=${JSON.stringify(value)} is not a number.`, {
        details: { variable: name },
      });
    }
    return parsed;
  };
  const out: PipelineConfigOverrides = {};
  const repository = text(PIPELINE_ENV.repository);
  const branch = text(PIPELINE_ENV.branch);
  const aucFloor = number(PIPELINE_ENV.aucFloor);
  const aucTolerance = number(PIPELINE_ENV.aucTolerance);
  const threads = number(PIPELINE_ENV.threads);
  const maxIterations = number(PIPELINE_ENV.maxIterations);
  if (repository !== undefined) out.repository = repository;
  if (branch !== undefined) out.branch = branch;
  if (aucFloor !== undefined) out.aucFloor = aucFloor;
  if (aucTolerance !== undefined) out.aucTolerance = aucTolerance;
  if (threads !== undefined) out.threads = threads;
  if (maxIterations !== undefined) out.gbdt = { maxIterations };
  return out;
}

/**
 * Defaults, then the environment, then `overrides`; validated.
 *
 * @throws LakeloopError `INVALID_ARGUMENT` naming the invalid field.
 */
export function resolvePipelineConfig(options: ResolvePipelineConfigOptions = {}): PipelineConfig {
  const env = fromEnv(options.env ?? process.env);
  const overrides = options.overrides ?? {};
  const merged = {
    ...DEFAULT_PIPELINE_CONFIG,
    ...env,
    ...overrides,
    gbdt: { ...DEFAULT_PIPELINE_CONFIG.gbdt, ...env.gbdt, ...overrides.gbdt },
  };
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join('.') ?? '?';
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `Invalid flight-delay pipeline setting ${where}: ${issue?.message ?? 'invalid'}.`,
      { cause: parsed.error, details: { field: where } },
    );
  }
  return parsed.data;
}
