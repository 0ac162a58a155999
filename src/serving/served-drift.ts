/**
 * The drift report `lakeloop models show` prints: the logged predictions of a model (Parquet files
 * under each `--log-predictions` URI, read at the branch head) grouped by the version that served
 * them, each group's inputs measured against that version's training profile (input-drift.ts).
 *
 * @example
 * ```ts
 * const reports = await servedInputDrift({ data, tracking, registry, name: 'flight-delays', uris });
 * reports[0]?.features.map((f) => `${f.feature} ${f.psi.toFixed(3)}`);
 * ```
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeError, isLakeloopError } from '../errors.js';
import type { ModelRegistry } from '../tracking/model-registry.js';
import type { TrackingStore } from '../tracking/tracking-store.js';
import { versionArtifactPath } from '../tracking/model/model-loading.js';
import { parseTrainingProfile, TRAINING_PROFILE_FILE } from '../tracking/model/training-profile.js';
import type { TrainingProfile } from '../tracking/model/training-profile.js';
import { readTable } from '../versioning/data-readers.js';
import type { DataRepository } from '../versioning/data-repository.js';
import { inputDrift } from './input-drift.js';
import type { FeatureDrift } from './input-drift.js';

/** The drift of the inputs one version served, logged under one URI. */
export interface ServedDriftReport {
  uri: string;
  /** The data commit the log was read at (undefined when it could not be read). */
  commitId: string | undefined;
  /** The version that answered (undefined when the log could not be read). */
  version: string | undefined;
  rows: number;
  /** Empty when there is nothing to compare (see `note`). */
  features: FeatureDrift[];
  /** Why there are no figures, when there are none. */
  note?: string;
}

/** Options of {@link servedInputDrift}. */
export interface ServedInputDriftOptions {
  data: DataRepository;
  tracking: TrackingStore;
  registry: ModelRegistry;
  /** The registered model. */
  name: string;
  /** The prediction log URIs (`lakefs://repo/branch/prefix/`). */
  uris: readonly string[];
}

/** Reads the logs and measures the drift per version (newest version first). */
export async function servedInputDrift(options: ServedInputDriftOptions): Promise<ServedDriftReport[]> {
  const reports: ServedDriftReport[] = [];
  for (const uri of options.uris) {
    let table;
    try {
      table = await readTable(options.data, uri, { format: 'parquet' });
    } catch (error) {
      const empty = isLakeloopError(error, 'NOT_FOUND') || isLakeloopError(error, 'INVALID_ARGUMENT');
      reports.push({
        uri,
        commitId: undefined,
        version: undefined,
        rows: 0,
        features: [],
        note: empty ? `no logged predictions readable yet (${describeError(error)})` : describeError(error),
      });
      continue;
    }
    const names = table.columns.model_name as (string | null)[] | undefined;
    const versions = table.columns.model_version as (string | null)[] | undefined;
    const byVersion = new Map<string, number[]>();
    for (let row = 0; row < table.rowCount; row++) {
      if (names?.[row] !== options.name) continue;
      const version = versions?.[row] ?? '';
      byVersion.set(version, [...(byVersion.get(version) ?? []), row]);
    }
    const ordered = [...byVersion.entries()].sort((a, b) => Number(b[0]) - Number(a[0]));
    for (const [version, rows] of ordered) {
      const profile = await trainingProfileOf(options, version);
      if (profile === undefined) {
        reports.push({
          uri,
          commitId: table.commitId,
          version,
          rows: rows.length,
          features: [],
          note: `v${version} has no ${TRAINING_PROFILE_FILE} (logged without trainingData): no drift figures`,
        });
        continue;
      }
      const served: Record<string, Float64Array> = {};
      for (const feature of profile.features) {
        const column = table.columns[feature.name] as ArrayLike<number> | undefined;
        if (column === undefined) continue;
        const validity = table.validity[feature.name];
        served[feature.name] = Float64Array.from(rows, (row) =>
          validity !== undefined && validity[row] === 0 ? Number.NaN : Number(column[row]),
        );
      }
      reports.push({
        uri,
        commitId: table.commitId,
        version,
        rows: rows.length,
        features: inputDrift(profile, served),
      });
    }
  }
  return reports;
}

/** The training profile in a version's model folder, if it has one. */
async function trainingProfileOf(
  options: ServedInputDriftOptions,
  version: string,
): Promise<TrainingProfile | undefined> {
  const dir = await mkdtemp(join(tmpdir(), 'lakeloop-drift-'));
  try {
    const modelVersion = await options.registry.getModelVersion(options.name, version);
    if (modelVersion.runId === undefined) return undefined;
    const folder = versionArtifactPath(modelVersion);
    const path = await options.tracking.downloadArtifacts(modelVersion.runId, {
      path: folder === '' ? TRAINING_PROFILE_FILE : `${folder}/${TRAINING_PROFILE_FILE}`,
      destination: dir,
    });
    return parseTrainingProfile(await readFile(path, 'utf8'));
  } catch {
    return undefined;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
