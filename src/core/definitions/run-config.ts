/**
 * Run config: values given per run, validated by the zod schemas assets and jobs declare. The
 * shape is one section per asset key or job name (like Dagster's `ops`):
 * `{ "train_model": { "learningRate": 0.05 }, "retrain": { "months": 6 } }`. A section may be
 * left out when its schema accepts `{}` (defaults apply). Validated at launch, stored with the run
 * as given, and parsed again in each step (so `ctx.config` has the schema's output type).
 *
 * @example
 * ```ts
 * const config = validateRunConfig(defs, { assetKeys: ['train_model'], config: { train_model: { learningRate: 0.05 } } });
 * ```
 */
import type { z } from 'zod';
import { LakeloopError } from '../../errors.js';
import type { Definitions } from './definitions.js';

/** A config schema (zod 4), e.g. `z.object({ learningRate: z.number().default(0.1) })`. */
export type ConfigSchema = z.ZodType;

/** The parsed value of a config schema; `undefined` without one. */
export type ConfigValue<TSchema> = TSchema extends z.ZodType ? z.output<TSchema> : undefined;

/** A run's config: one section (a JSON object) per asset key or job name. */
export type RunConfig = Readonly<Record<string, unknown>>;

/** What {@link validateRunConfig} checks. */
export interface RunConfigTarget {
  /** The run's assets. */
  readonly assetKeys: readonly string[];
  /** The run's job, if it is a job's run. */
  readonly jobName?: string | undefined;
  /** The config given; default none. */
  readonly config?: unknown;
}

/** `config.train_model.learningRate`, `config["data/raw"].files[0]`. */
export function configPath(section: string, path: readonly PropertyKey[]): string {
  const part = (key: PropertyKey): string =>
    typeof key === 'number'
      ? `[${key}]`
      : typeof key === 'string' && /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key)
        ? `.${key}`
        : `[${JSON.stringify(String(key))}]`;
  return `config${part(section)}${path.map(part).join('')}`;
}

function invalid(message: string, details: Record<string, unknown>): LakeloopError {
  return new LakeloopError('INVALID_ARGUMENT', message, { details });
}

/**
 * Parses one section with its schema (a missing section parses as `{}`); throws INVALID_ARGUMENT
 * naming each wrong field (`config.train_model.learningRate: Invalid input: expected number, received string`).
 *
 * @example
 * ```ts
 * const parsed = parseConfigSection('train_model', schema, run.config?.['train_model']);
 * ```
 */
export function parseConfigSection(section: string, schema: ConfigSchema, value: unknown): unknown {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${configPath(section, issue.path)}: ${issue.message}`);
  throw invalid(`Invalid run config: ${problems.join('; ')}.`, { section, problems });
}

/**
 * Checks a run's config against the schemas of its assets and its job, and returns it to store
 * (undefined when none was given). Throws INVALID_ARGUMENT for a config that is not an object, a
 * section nothing in the Definitions takes (a typo), or a wrong field. Sections of assets outside
 * the run are allowed (a re-execution keeps its parent's whole config).
 *
 * @example
 * ```ts
 * validateRunConfig(defs, { assetKeys: run.assetKeys, jobName: 'retrain', config: { retrain: { months: 6 } } });
 * ```
 */
export function validateRunConfig(defs: Definitions, target: RunConfigTarget): RunConfig | undefined {
  const { config } = target;
  if (config !== undefined && (typeof config !== 'object' || config === null || Array.isArray(config))) {
    throw invalid(
      'Invalid run config: give an object with one section per asset key or job name, e.g. {"train_model": {"learningRate": 0.05}}.',
      {},
    );
  }
  const given = (config ?? {}) as Record<string, unknown>;
  const takers = new Set([
    ...defs.assets.filter((a) => a.config !== undefined).map((a) => a.key),
    ...defs.jobs.filter((j) => j.config !== undefined).map((j) => j.name),
  ]);
  for (const section of Object.keys(given)) {
    if (!takers.has(section)) {
      throw invalid(
        `Invalid run config: ${configPath(section, [])} matches no asset or job that declares a config schema ` +
          `(ones that do: ${[...takers].join(', ') || 'none'}).`,
        { section },
      );
    }
  }
  for (const key of target.assetKeys) {
    const schema = defs.asset(key).config;
    if (schema !== undefined) parseConfigSection(key, schema, given[key]);
  }
  if (target.jobName !== undefined) {
    const schema = defs.job(target.jobName).config;
    if (schema !== undefined) parseConfigSection(target.jobName, schema, given[target.jobName]);
  }
  return config === undefined ? undefined : structuredClone(given);
}
