/**
 * Jobs: a named asset selection that sensors, schedules and the CLI can launch.
 *
 * @example
 * ```ts
 * const retrain = defineJob({ name: 'retrain', select: 'train_model+', config: z.object({ months: z.number().default(6) }) });
 * ```
 */
import { LakeloopError } from '../../errors.js';
import { checkConfigSchema } from './resources-spec.js';
import type { ConfigSchema } from './run-config.js';

/** A defined job. */
export interface JobDefinition {
  readonly kind: 'job';
  readonly name: string;
  /** An asset selection string (see AssetSelection). */
  readonly select: string;
  readonly description: string | undefined;
  /** Tags added to every run of the job. */
  readonly tags: Readonly<Record<string, string>>;
  /** Schema of the job's run config (`config[<job name>]`), given to its steps as `ctx.jobConfig`. */
  readonly config: ConfigSchema | undefined;
}

/** What {@link defineJob} takes. */
export interface JobSpec {
  name: string;
  /** Asset selection, e.g. `'*'`, `'train_model+'`, `'group:ml'`. */
  select: string;
  description?: string;
  /** Default none. */
  tags?: Record<string, string>;
  /** Schema of the job's run config (a section named after the job). Default none. */
  config?: ConfigSchema;
}

/** Defines a job (its selection is validated when the Definitions are built). */
export function defineJob(spec: JobSpec): JobDefinition {
  if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(spec.name)) {
    throw new LakeloopError(
      'DEFINITION_ERROR',
      `Invalid job name ${JSON.stringify(spec.name)}: use letters, digits, "_" and "-".`,
    );
  }
  checkConfigSchema(`Job "${spec.name}"`, spec.config);
  return {
    kind: 'job',
    name: spec.name,
    select: spec.select,
    description: spec.description,
    tags: { ...(spec.tags ?? {}) },
    config: spec.config,
  };
}
