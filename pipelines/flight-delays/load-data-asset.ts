/**
 * `load_data`: the monthly chunks at the run's data commit (`ctx.dataCommit`: the sensor's commit,
 * else the branch head the data resource recorded at launch), read through the data resource's
 * pinned view (local files by checksum) and validated (columns, types, ranges). The blocking check
 * `chunks_valid` fails when any chunk is bad, naming the file and the problem, so nothing
 * downstream runs and the champion model stays.
 *
 * @example
 * ```ts
 * const defs = new Definitions({ assets: [loadData], checks: [chunksValid] });
 * await materialize(defs, { select: 'load_data', instance });
 * ```
 */
import { defineAsset, defineCheck, isLakeloopError, LakeloopError, output } from 'lakeloop';
import { lakeloopDataCacheDir, resolveDataFile } from 'lakeloop/data';
import type { DataFileSet, DataRepository, LocalDataFile } from 'lakeloop/data';
import { validateChunk } from './chunk-validation.js';
import { openFeatureDatabase } from './features/index.js';
import { flightResources } from './flight-resources.js';

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

/**
 * A local path of the file that ends in its object name: the features pick their reader by the
 * extension, and an embedded blob has none (then it is hard-linked into the data cache by checksum).
 */
async function withExtension(client: DataRepository, file: LocalDataFile, home: string): Promise<string> {
  if (file.localPath.endsWith('.parquet')) return file.localPath;
  return (await resolveDataFile(client, file.uri, { cacheDir: lakeloopDataCacheDir(home) })).path;
}

/** The `load_data` asset. */
export const loadData = defineAsset({
  key: 'load_data',
  group: 'flight_delays',
  codeVersion: 'load-data-v2',
  description: 'Monthly flight chunks at the run’s data commit, validated (schema and ranges).',
  resources: { data: flightResources.data, settings: flightResources.settings },
  compute: async (ctx) => {
    const { data, settings } = ctx.resources;
    const prefix = `${settings.prefix.replace(/\/+$/, '')}/`;
    const noChunks = async (cause?: unknown): Promise<LakeloopError> =>
      new LakeloopError(
        'PRECONDITION_FAILED',
        `${await data.uri(prefix)} holds no monthly chunks; import data first (e.g. \`lakeloop data import-chunks\`).`,
        { cause, details: { repository: data.repositoryName, prefix } },
      );
    let files: DataFileSet;
    try {
      files = await data.files(prefix);
    } catch (error) {
      throw isLakeloopError(error, 'NOT_FOUND') ? await noChunks(error) : error;
    }
    await using _release = files;
    const chunks: LoadedChunk[] = [];
    await using db = await openFeatureDatabase();
    for (const file of files.files) {
      const name = file.path.slice(prefix.length);
      if (!name.endsWith('.parquet')) continue;
      const month = MONTH_FILE.exec(name)?.[1];
      const base = { objectPath: file.path, uri: file.uri, checksum: file.stat.checksum };
      if (month === undefined) {
        const problem = `${file.uri} is not named <YYYY-MM>.parquet, so its month is unknown; rename or remove it`;
        chunks.push({
          ...base,
          month: '',
          localPath: '',
          sizeBytes: 0,
          rows: 0,
          positives: 0,
          problems: [problem],
        });
        continue;
      }
      ctx.signal.throwIfAborted();
      const localPath = await withExtension(data.repository, file, ctx.instanceHome);
      const validation = await validateChunk({ db: db.connection, file: localPath, name: file.uri, month });
      chunks.push({ ...base, month, localPath, sizeBytes: file.stat.sizeBytes, ...validation });
    }
    if (chunks.length === 0) throw await noChunks();
    chunks.sort((a, b) => (a.month < b.month ? -1 : a.month > b.month ? 1 : 0));
    const value: LoadedData = {
      repository: data.repositoryName,
      branch: data.branch,
      commitId: files.commitId,
      datasetUri: await data.uri(prefix),
      chunks,
      rows: chunks.reduce((sum, c) => sum + c.rows, 0),
    };
    ctx.log.info(
      `Read ${chunks.length} chunk(s), ${value.rows.toLocaleString('en-US')} rows at ${files.commitId.slice(0, 12)}.`,
    );
    return output(value, {
      metadata: {
        data_commit: files.commitId,
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
