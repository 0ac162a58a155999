/**
 * Validation shared by every tracking backend, following MLflow's own rules, so that both
 * backends reject the same input with the same specific error before anything is written.
 *
 * - Keys (params, metrics, tags): alphanumerics, `_ - . / : ` and spaces, at most 250 characters,
 *   and not resolving to another path (`a/../b`, `/a`, `.`).
 * - Param values at most 6000 characters, tag values at most 8000.
 * - Metric values: any number, including NaN and ±Infinity (MLflow accepts them; its SQL store
 *   keeps NaN and maps ±Infinity to ±Number.MAX_VALUE, which the MLflow client maps back).
 * - Artifact paths: relative, `/`-separated, no `..`, no empty or `.` segments.
 *
 * @example
 * ```ts
 * const batch = normalizeBatch({ batch: { metrics: [{ key: 'auc', value: 0.8 }] }, now: Date.now() });
 * ```
 */
import { posix } from 'node:path';
import { LakeloopError } from '../errors.js';
import type { LogBatch, Metric } from './tracking-types.js';

/** MLflow's limits. */
export const TrackingLimits = {
  MAX_KEY_LENGTH: 250,
  MAX_PARAM_VALUE_LENGTH: 6000,
  MAX_TAG_VALUE_LENGTH: 8000,
  /** Per log-batch request on the MLflow server. */
  MAX_METRICS_PER_REQUEST: 1000,
  MAX_PARAMS_PER_REQUEST: 100,
  MAX_TAGS_PER_REQUEST: 100,
  MAX_ENTITIES_PER_REQUEST: 1000,
} as const;

/** A key-value pair as stored. */
export interface KeyValue {
  key: string;
  value: string;
}

/** A batch after validation: every point has a step and a timestamp. */
export interface NormalizedBatch {
  metrics: Metric[];
  params: KeyValue[];
  tags: KeyValue[];
}

const KEY_PATTERN = /^[/\w.\- :]+$/;

/** Throws INVALID_ARGUMENT when `key` is not a valid param, metric or tag key. */
export function validateKey(kind: 'param' | 'metric' | 'tag', key: string): void {
  if (typeof key !== 'string' || key.length === 0) {
    throw new LakeloopError('INVALID_ARGUMENT', `A ${kind} key must be a non-empty string.`);
  }
  if (key.length > TrackingLimits.MAX_KEY_LENGTH) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `The ${kind} key "${key.slice(0, 40)}…" is longer than ${TrackingLimits.MAX_KEY_LENGTH} characters; shorten it.`,
    );
  }
  if (!KEY_PATTERN.test(key)) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `The ${kind} key "${key}" has invalid characters; use letters, digits, _ - . / : and spaces.`,
    );
  }
  const normalized = posix.normalize(key);
  if (normalized !== key || normalized === '.' || normalized.startsWith('..') || normalized.startsWith('/')) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `The ${kind} key "${key}" would resolve to "${normalized}" as a path; remove ".", ".." and doubled or leading slashes.`,
    );
  }
}

/** Validates and completes a batch (default step 0, timestamp `now`); throws before anything is written. */
export function normalizeBatch(options: { batch: LogBatch; now: number }): NormalizedBatch {
  const { batch, now } = options;
  const metrics: Metric[] = [];
  for (const metric of batch.metrics ?? []) {
    validateKey('metric', metric.key);
    if (typeof metric.value !== 'number') {
      throw new LakeloopError(
        'INVALID_ARGUMENT',
        `The value of metric "${metric.key}" must be a number, got ${typeof metric.value}.`,
      );
    }
    const step = metric.step ?? 0;
    const timestamp = metric.timestamp ?? now;
    if (!Number.isSafeInteger(step) || !Number.isSafeInteger(timestamp)) {
      throw new LakeloopError(
        'INVALID_ARGUMENT',
        `The step and timestamp of metric "${metric.key}" must be integers (got ${step}, ${timestamp}).`,
      );
    }
    metrics.push({ key: metric.key, value: metric.value, step, timestamp });
  }
  const params = toKeyValues('param', batch.params ?? {});
  const seen = new Map<string, string>();
  for (const param of params) {
    const earlier = seen.get(param.key);
    if (earlier !== undefined && earlier !== param.value) {
      throw paramConflict({ key: param.key, existing: earlier, attempted: param.value });
    }
    seen.set(param.key, param.value);
    if (param.value.length > TrackingLimits.MAX_PARAM_VALUE_LENGTH) {
      throw new LakeloopError(
        'INVALID_ARGUMENT',
        `The value of param "${param.key}" is longer than ${TrackingLimits.MAX_PARAM_VALUE_LENGTH} characters; log it as an artifact instead.`,
      );
    }
  }
  const tags = toKeyValues('tag', batch.tags ?? {});
  for (const tag of tags) {
    if (tag.value.length > TrackingLimits.MAX_TAG_VALUE_LENGTH) {
      throw new LakeloopError(
        'INVALID_ARGUMENT',
        `The value of tag "${tag.key}" is longer than ${TrackingLimits.MAX_TAG_VALUE_LENGTH} characters.`,
      );
    }
  }
  return { metrics, params, tags };
}

function toKeyValues(
  kind: 'param' | 'tag',
  record: Readonly<Record<string, string | number | boolean>>,
): KeyValue[] {
  return Object.entries(record).map(([key, value]) => {
    validateKey(kind, key);
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new LakeloopError(
        'INVALID_ARGUMENT',
        `The value of ${kind} "${key}" must be a string, number or boolean.`,
      );
    }
    return { key, value: String(value) };
  });
}

/** The CONFLICT error for a param logged again with a different value. */
export function paramConflict(options: {
  key: string;
  existing: string;
  attempted: string;
  runId?: string;
}): LakeloopError {
  return new LakeloopError(
    'CONFLICT',
    `Param "${options.key}" was already logged with value "${options.existing}"${options.runId === undefined ? '' : ` for run ${options.runId}`}; params are immutable, so "${options.attempted}" cannot replace it. Log it under another key or start a new run.`,
    { details: { key: options.key, runId: options.runId } },
  );
}

/**
 * Validates an artifact path and returns it normalized (`''` for the root). Rejects absolute
 * paths, `..` segments and backslashes.
 */
export function normalizeArtifactPath(path: string | undefined): string {
  if (path === undefined || path === '' || path === '.') return '';
  if (typeof path !== 'string') {
    throw new LakeloopError('INVALID_ARGUMENT', 'An artifact path must be a string.');
  }
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path) || path.includes('\\')) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `The artifact path "${path}" is absolute or uses backslashes; give a relative path with "/" separators.`,
    );
  }
  const segments = path.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.includes('..')) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `The artifact path "${path}" contains ".."; artifact paths must stay inside the run's artifact folder.`,
    );
  }
  return segments.join('/');
}

/** Throws INVALID_ARGUMENT when `name` is empty or too long for an experiment or model name. */
export function validateName(kind: 'experiment' | 'registered model' | 'alias', name: string): void {
  if (typeof name !== 'string' || name.trim() === '') {
    throw new LakeloopError('INVALID_ARGUMENT', `The ${kind} name must be a non-empty string.`);
  }
  if (name.length > 256) {
    throw new LakeloopError('INVALID_ARGUMENT', `The ${kind} name is longer than 256 characters.`);
  }
  if (kind === 'alias' && !/^[\w-]+$/.test(name)) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `The alias "${name}" is invalid; use letters, digits, "_" and "-" (MLflow's alias rules).`,
    );
  }
  if (kind === 'alias' && (/^v\d+$/i.test(name) || name.toLowerCase() === 'latest')) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `The alias "${name}" is reserved by MLflow ("latest" and "v<number>"); choose another.`,
    );
  }
}
