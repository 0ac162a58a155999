/**
 * `load_data`: the monthly chunks of the run's data commit (the `lakeloop/data_commit` run tag set
 * by the sensor; the branch head when the run has no such tag), read immutably by commit id,
 * cached locally by checksum, and validated (columns, types, ranges). The blocking check
 * `chunks_valid` fails when any chunk is bad, naming the file and the problem, so nothing
 * downstream runs and the champion model stays.
 *
 * @example
 * ```ts
 * const defs = new Definitions({ assets: [loadData], checks: [chunksValid], resources });
 * await materialize(defs, { select: 'load_data', instance, tags: { 'lakeloop/data_commit': commitId } });
 * ```
 */
import { defineAsset, defineCheck, LakeloopError, output } from 'lakeloop';
import { formatDataUri, lakeloopDataCacheDir, resolveDataFile } from 'lakeloop/data';
import type { DataRepository, ObjectStat } from 'lakeloop/data';
import { validateChunk } from './chunk-validation.js';
import { openFeatureDatabase } from './features/index.js';
import { DATA_COMMIT_RUN_TAG, PIPELINE_RESOURCES, pipelineServices } from './pipeline-resources.js';

/** One monthly chunk of the data commit. */
export interface LoadedChunk {
  /** `YYYY-MM`. */
  month: string;
  /** Path in the repository, e.g. `flights/2001-01.parquet`. */
  objectPath: string;
  /** Immutable address: `lakefs://<repo>/<commit>/<path>`. */
  uri: string;
  /** Content checksum (the cache key of the per-month features). */
  checksum: string;
  /** Local copy (read-only). */
  localPath: string;
  sizeBytes: number;
  rows: number;
  /** Rows with `delay > 15`. */
  positives: number;
  /** Validation problems; empty when valid. */
  problems: string[];
}

/** The value of `load_data`. */
export interface LoadedData {
  repository: string;
  branch: string;
  /** The commit every chunk was read at. */
  commitId: string;
  /** `lakefs://<repo>/<commit>/<prefix>/`: the dataset URI logged as the training input. */
  datasetUri: string;
  /** Chunks by month, oldest first. */
  chunks: LoadedChunk[];
  /** Total rows. */
  rows: number;
}

const MONTH_FILE = /^(\d{4}-(?:0[1-9]|1[0-2]))\.parquet$/;

async function listChunkObjects(
  data: DataRepository,
  options: { repository: string; ref: string; prefix: string },
): Promise<ObjectStat[]> {
  const objects: ObjectStat[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await data.listObjects({
      repository: options.repository,
      ref: options.ref,
      prefix: options.prefix,
      amount: 1000,
      ...(after === undefined ? {} : { after }),
    });
    for (const entry of page.results) if (entry.pathType === 'object') objects.push(entry);
    if (!page.hasMore || page.nextOffset === '') return objects;
    after = page.nextOffset;
  }
}

/** The `load_data` asset. */
export const loadData = defineAsset({
  key: 'load_data',
  group: 'flight_delays',
  codeVersion: 'load-data-v1',
  description: 'Monthly flight chunks at the run’s data commit, validated (schema and ranges).',
  resources: [PIPELINE_RESOURCES.backends, PIPELINE_RESOURCES.config],
  compute: async (ctx) => {
    const { data, config } = pipelineServices(ctx);
    const { repository, branch } = config;
    const tagged = ctx.runTags[DATA_COMMIT_RUN_TAG];
    const commitId = tagged ?? (await data.getBranch({ repository, branch })).commitId;
    const commit = await data.getCommit({ repository, ref: commitId });
    const prefix = `${config.prefix.replace(/\/+$/, '')}/`;
    const objects = await listChunkObjects(data, { repository, ref: commit.id, prefix });
    const cacheDir = lakeloopDataCacheDir(ctx.instanceHome);
    const chunks: LoadedChunk[] = [];
    const strays: string[] = [];
    await using db = await openFeatureDatabase();
    for (const object of objects) {
      const name = object.path.slice(prefix.length);
      const match = MONTH_FILE.exec(name);
      if (match?.[1] === undefined) {
        if (name.endsWith('.parquet')) strays.push(object.path);
        continue;
      }
      ctx.signal.throwIfAborted();
      const month = match[1];
      const resolved = await resolveDataFile(
        data,
        formatDataUri({ repository, ref: commit.id, path: object.path }),
        { cacheDir },
      );
      const validation = await validateChunk({
        db: db.connection,
        file: resolved.path,
        name: resolved.immutableUri,
        month,
      });
      chunks.push({
        month,
        objectPath: object.path,
        uri: resolved.immutableUri,
        checksum: resolved.stat.checksum,
        localPath: resolved.path,
        sizeBytes: resolved.stat.sizeBytes,
        ...validation,
      });
    }
    for (const path of strays) {
      const uri = formatDataUri({ repository, ref: commit.id, path });
      chunks.push({
        month: '',
        objectPath: path,
        uri,
        checksum: '',
        localPath: '',
        sizeBytes: 0,
        rows: 0,
        positives: 0,
        problems: [`${uri} is not named <YYYY-MM>.parquet, so its month is unknown; rename or remove it`],
      });
    }
    chunks.sort((a, b) => (a.month < b.month ? -1 : a.month > b.month ? 1 : 0));
    if (chunks.length === 0) {
      throw new LakeloopError(
        'PRECONDITION_FAILED',
        `Commit ${commit.id.slice(0, 12)} of ${repository} has no monthly chunks under ${prefix}; ` +
          'import data first (e.g. `lakeloop data import`).',
        { details: { repository, commitId: commit.id, prefix } },
      );
    }
    const value: LoadedData = {
      repository,
      branch,
      commitId: commit.id,
      datasetUri: formatDataUri({ repository, ref: commit.id, path: prefix }),
      chunks,
      rows: chunks.reduce((sum, c) => sum + c.rows, 0),
    };
    ctx.log.info(
      `Read ${chunks.length} chunk(s), ${value.rows.toLocaleString('en-US')} rows at ${commit.id.slice(0, 12)}.`,
    );
    return output(value, {
      metadata: {
        data_commit: commit.id,
        dataset_uri: value.datasetUri,
        months: chunks.map((c) => c.month),
        rows: value.rows,
        invalid_chunks: chunks.filter((c) => c.problems.length > 0).map((c) => c.objectPath),
      },
    });
  },
});

/** Blocking check: every chunk is valid; the description names each bad file and its problems. */
export const chunksValid = defineCheck<LoadedData>({
  name: 'chunks_valid',
  asset: loadData,
  blocking: true,
  description: 'Every monthly chunk has the expected columns, types and value ranges.',
  fn: (_ctx, value) => {
    const bad = value.chunks.filter((c) => c.problems.length > 0);
    return {
      passed: bad.length === 0,
      description:
        bad.length === 0
          ? `${value.chunks.length} chunk(s) valid.`
          : `Invalid data chunk(s) at commit ${value.commitId.slice(0, 12)}: ${bad.flatMap((c) => c.problems).join('; ')}.`,
      metadata: {
        chunks: value.chunks.length,
        invalid: bad.map((c) => ({ path: c.objectPath, problems: c.problems })),
      },
    };
  },
});
