/**
 * Turns a DuckDB query result (feature columns as FLOAT, then a UTINYINT label column) into the
 * dense row-major {@link TabularData} the ML library trains on, reading the result chunk by chunk
 * and column by column over typed-array views of DuckDB's memory (no per-row objects).
 *
 * @example
 * ```ts
 * const data = await readTabularData({ db, sql: 'SELECT f1, f2, label FROM t', featureNames: ['f1', 'f2'] });
 * ```
 */
import { DuckDBTypeId, type DuckDBConnection, type DuckDBDataChunk } from '@duckdb/node-api';
import { LakeloopError } from 'lakeloop';
import type { TabularData } from './feature-schema.js';
import { floatColumn, uint8Column } from './duckdb-vector-data.js';

/** Options of {@link readTabularData}. */
export interface ReadTabularDataOptions {
  /** An open DuckDB connection. */
  db: DuckDBConnection;
  /** A query whose columns are the FLOAT features (in order) followed by the UTINYINT 0/1 label. */
  sql: string;
  /** Names of the feature columns, in order (the label column is the last column). */
  featureNames: readonly string[];
}

/**
 * Runs `sql` (fully materialized, so other queries on the connection are safe) and copies its
 * columns into a row-major Float32Array. NULL features become NaN; a NULL label is an error.
 *
 * @throws LakeloopError `INTERNAL` when the query's columns do not have the expected count and types.
 */
export async function readTabularData(options: ReadTabularDataOptions): Promise<TabularData> {
  const { db, sql, featureNames } = options;
  const columns = featureNames.length;
  const result = await db.run(sql);
  const types = Array.from({ length: result.columnCount }, (_, i) => result.columnTypeId(i));
  const expected = [...featureNames.map(() => DuckDBTypeId.FLOAT), DuckDBTypeId.UTINYINT];
  if (types.length !== expected.length || types.some((type, i) => type !== expected[i])) {
    throw new LakeloopError(
      'INTERNAL',
      `Feature query must return ${columns} FLOAT features and a UTINYINT label; got types ${types.join(', ')}.`,
    );
  }
  const rows = result.rowCount;
  const features = new Float32Array(rows * columns);
  const labels = new Uint8Array(rows);
  let offset = 0;
  for (let chunkIndex = 0; chunkIndex < result.chunkCount; chunkIndex++) {
    const chunk = result.getChunk(chunkIndex);
    for (let column = 0; column < columns; column++) copyFeature(chunk, column, columns, offset, features);
    copyLabels(chunk, columns, offset, labels);
    offset += chunk.rowCount;
  }
  return { features, rows, columns, featureNames: [...featureNames], labels };
}

function copyFeature(
  chunk: DuckDBDataChunk,
  column: number,
  columns: number,
  offset: number,
  out: Float32Array,
): void {
  const rows = chunk.rowCount;
  let position = offset * columns + column;
  const data = floatColumn(chunk, column);
  if (data === undefined) {
    const vector = chunk.getColumnVector(column);
    for (let row = 0; row < rows; row++, position += columns) {
      const value = vector.getItem(row);
      out[position] = typeof value === 'number' ? value : Number.NaN;
    }
    return;
  }
  const { values, valid } = data;
  if (valid === undefined) {
    for (let row = 0; row < rows; row++, position += columns) out[position] = values[row] ?? Number.NaN;
  } else {
    for (let row = 0; row < rows; row++, position += columns) {
      out[position] = valid(row) ? (values[row] ?? Number.NaN) : Number.NaN;
    }
  }
}

function copyLabels(chunk: DuckDBDataChunk, column: number, offset: number, out: Uint8Array): void {
  const rows = chunk.rowCount;
  const data = uint8Column(chunk, column);
  if (data?.valid === undefined && data !== undefined) {
    out.set(data.values, offset);
    return;
  }
  const vector = chunk.getColumnVector(column);
  for (let row = 0; row < rows; row++) {
    const value = vector.getItem(row);
    if (typeof value !== 'number') {
      throw new LakeloopError('INTERNAL', `Feature query returned a missing label at row ${offset + row}.`);
    }
    out[offset + row] = value;
  }
}
