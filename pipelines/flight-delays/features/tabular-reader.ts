/**
 * Turns a DuckDB query result (feature columns as FLOAT, then a UTINYINT label column) into the
 * dense row-major {@link TabularData} the ML library trains on: `copyResultColumns` of lakeloop/data
 * copies each column out of DuckDB's vectors as a typed array (no per-row objects), then the
 * columns are interleaved.
 *
 * @example
 * ```ts
 * const data = await readTabularData({ db, sql: 'SELECT f1, f2, label FROM t', featureNames: ['f1', 'f2'] });
 * ```
 */
import { DuckDBTypeId, type DuckDBConnection } from '@duckdb/node-api';
import { LakeloopError } from 'lakeloop';
import { copyResultColumns } from 'lakeloop/data';
import type { TabularData } from './feature-schema.js';

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
  // Typed columns straight from DuckDB's vectors (NaN at NULL features), then row-major.
  const table = copyResultColumns(result);
  const rows = table.rowCount;
  const features = new Float32Array(rows * columns);
  table.columnNames.slice(0, columns).forEach((name, column) => {
    const values = table.columns[name] as Float32Array;
    for (let row = 0, at = column; row < rows; row++, at += columns) features[at] = values[row] ?? Number.NaN;
  });
  const labelName = table.columnNames[columns] ?? '';
  const missing = table.validity[labelName]?.indexOf(0) ?? -1;
  if (missing >= 0) {
    throw new LakeloopError('INTERNAL', `Feature query returned a missing label at row ${missing}.`);
  }
  const labels = table.columns[labelName] as Uint8Array;
  return { features, rows, columns, featureNames: [...featureNames], labels };
}
