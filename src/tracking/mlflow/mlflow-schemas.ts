/**
 * Zod schemas of the MLflow REST API 2.0 responses lakeloop reads (every server answer is
 * validated before use), and the conversions to lakeloop's tracking records.
 *
 * Metric values travel as JSON numbers, or as the strings "NaN", "Infinity" and "-Infinity"
 * (protobuf's JSON mapping). MLflow's SQL store keeps ±Infinity as ±Number.MAX_VALUE; they are
 * read back as ±Infinity.
 *
 * @example
 * ```ts
 * const run = toTrackingRun(RunSchema.parse(body.run));
 * ```
 */
import { z } from 'zod';
import type {
  DatasetInput,
  Experiment,
  Metric,
  ModelVersion,
  RegisteredModel,
  TrackingRun,
  TrackingRunStatus,
} from '../tracking-types.js';

const KeyValueSchema = z.object({ key: z.string(), value: z.string().default('') });
const Int = z.union([
  z.number(),
  z
    .string()
    .regex(/^-?\d+$/)
    .transform(Number),
]);

/** A metric value as sent over JSON. */
export const MetricValueSchema = z.union([z.number(), z.enum(['NaN', 'Infinity', '-Infinity'])]);

/** `Metric`. */
export const MetricSchema = z.object({
  key: z.string(),
  value: MetricValueSchema,
  timestamp: Int.default(0),
  step: Int.default(0),
});

/** `Experiment`. */
export const ExperimentSchema = z.object({
  experiment_id: z.string(),
  name: z.string(),
  artifact_location: z.string().default(''),
  lifecycle_stage: z.string().default('active'),
  creation_time: Int.optional(),
  tags: z.array(KeyValueSchema).default([]),
});

/** `RunInfo`. */
export const RunInfoSchema = z.object({
  run_id: z.string(),
  experiment_id: z.string(),
  run_name: z.string().default(''),
  status: z.enum(['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED']),
  start_time: Int.default(0),
  end_time: Int.optional(),
  artifact_uri: z.string().default(''),
});

const DatasetInputSchema = z.object({
  tags: z.array(KeyValueSchema).default([]),
  dataset: z.object({
    name: z.string(),
    digest: z.string(),
    source_type: z.string().default(''),
    source: z.string().default(''),
    schema: z.string().optional(),
    profile: z.string().optional(),
  }),
});

/** `Run`. */
export const RunSchema = z.object({
  info: RunInfoSchema,
  data: z
    .object({
      metrics: z.array(MetricSchema).default([]),
      params: z.array(KeyValueSchema).default([]),
      tags: z.array(KeyValueSchema).default([]),
    })
    .default({ metrics: [], params: [], tags: [] }),
  inputs: z
    .object({ dataset_inputs: z.array(DatasetInputSchema).default([]) })
    .default({ dataset_inputs: [] }),
});

/** `RegisteredModel`. */
export const RegisteredModelSchema = z.object({
  name: z.string(),
  creation_timestamp: Int.default(0),
  last_updated_timestamp: Int.default(0),
  description: z.string().default(''),
  latest_versions: z.array(z.object({ version: z.string() })).default([]),
  tags: z.array(KeyValueSchema).default([]),
  aliases: z.array(z.object({ alias: z.string(), version: z.string() })).default([]),
});

/** `ModelVersion`. */
export const ModelVersionSchema = z.object({
  name: z.string(),
  version: z.string(),
  creation_timestamp: Int.default(0),
  description: z.string().default(''),
  source: z.string().default(''),
  run_id: z.string().optional(),
  status: z.enum(['READY', 'PENDING_REGISTRATION', 'FAILED_REGISTRATION']).default('READY'),
  tags: z.array(KeyValueSchema).default([]),
  aliases: z.array(z.string()).default([]),
});

/** An artifact listing entry of `/mlflow-artifacts/artifacts?path=`. */
export const FileInfoSchema = z.object({
  path: z.string(),
  is_dir: z.boolean().default(false),
  file_size: Int.optional(),
});

/** Encodes a metric value for JSON (protobuf's mapping of non-finite doubles). */
export function encodeMetricValue(value: number): number | string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return 'Infinity';
  if (value === Number.NEGATIVE_INFINITY) return '-Infinity';
  return value;
}

/** Decodes a metric value from JSON; MLflow's ±MAX_VALUE stand-ins become ±Infinity. */
export function decodeMetricValue(value: z.infer<typeof MetricValueSchema>): number {
  if (value === 'NaN') return Number.NaN;
  if (value === 'Infinity') return Number.POSITIVE_INFINITY;
  if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
  if (value === Number.MAX_VALUE) return Number.POSITIVE_INFINITY;
  if (value === -Number.MAX_VALUE) return Number.NEGATIVE_INFINITY;
  return value;
}

function record(pairs: readonly { key: string; value: string }[]): Record<string, string> {
  const result: Record<string, string> = {};
  for (const pair of [...pairs].sort((a, b) => a.key.localeCompare(b.key))) result[pair.key] = pair.value;
  return result;
}

/** To lakeloop's {@link Experiment}. */
export function toExperiment(experiment: z.infer<typeof ExperimentSchema>): Experiment {
  return {
    experimentId: experiment.experiment_id,
    name: experiment.name,
    artifactLocation: experiment.artifact_location,
    lifecycleStage: experiment.lifecycle_stage === 'deleted' ? 'deleted' : 'active',
    tags: record(experiment.tags),
    creationTime: experiment.creation_time,
  };
}

/** To lakeloop's {@link Metric}. */
export function toMetric(metric: z.infer<typeof MetricSchema>): Metric {
  return {
    key: metric.key,
    value: decodeMetricValue(metric.value),
    step: metric.step,
    timestamp: metric.timestamp,
  };
}

/** To lakeloop's {@link TrackingRun}. */
export function toTrackingRun(run: z.infer<typeof RunSchema>): TrackingRun {
  const metrics: Record<string, number> = {};
  for (const metric of [...run.data.metrics].sort((a, b) => a.key.localeCompare(b.key))) {
    metrics[metric.key] = decodeMetricValue(metric.value);
  }
  const inputs = run.inputs.dataset_inputs.map((input): DatasetInput => ({
    name: input.dataset.name,
    digest: input.dataset.digest,
    sourceType: input.dataset.source_type,
    source: input.dataset.source,
    ...(input.dataset.schema === undefined || input.dataset.schema === ''
      ? {}
      : { schema: input.dataset.schema }),
    ...(input.dataset.profile === undefined || input.dataset.profile === ''
      ? {}
      : { profile: input.dataset.profile }),
    tags: record(input.tags),
  }));
  return {
    info: {
      runId: run.info.run_id,
      experimentId: run.info.experiment_id,
      runName: run.info.run_name,
      status: run.info.status satisfies TrackingRunStatus,
      startTime: run.info.start_time,
      endTime: run.info.end_time,
      artifactUri: run.info.artifact_uri,
    },
    metrics,
    params: record(run.data.params),
    tags: record(run.data.tags),
    inputs,
  };
}

/** To lakeloop's {@link RegisteredModel}. */
export function toRegisteredModel(model: z.infer<typeof RegisteredModelSchema>): RegisteredModel {
  const aliases: Record<string, string> = {};
  for (const alias of [...model.aliases].sort((a, b) => a.alias.localeCompare(b.alias)))
    aliases[alias.alias] = alias.version;
  const versions = model.latest_versions.map((version) => Number(version.version));
  return {
    name: model.name,
    description: model.description,
    creationTimestamp: model.creation_timestamp,
    lastUpdatedTimestamp: model.last_updated_timestamp,
    // The alias history lives in tags on MLflow (mlflow-alias-history.ts); it is not a user tag.
    tags: record(model.tags.filter((tag) => !tag.key.startsWith('lakeloop.alias_history.'))),
    aliases,
    latestVersion: versions.length === 0 ? undefined : String(Math.max(...versions)),
  };
}

/** To lakeloop's {@link ModelVersion}. */
export function toModelVersion(version: z.infer<typeof ModelVersionSchema>): ModelVersion {
  return {
    name: version.name,
    version: version.version,
    source: version.source,
    runId: version.run_id === '' ? undefined : version.run_id,
    description: version.description,
    tags: record(version.tags),
    aliases: [...version.aliases].sort(),
    creationTimestamp: version.creation_timestamp,
    status: version.status,
  };
}
