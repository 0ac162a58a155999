/**
 * Reads raw flight records (Parquet, JSON or CSV with columns date, delay, distance, origin,
 * destination) into one normalized DuckDB relation, and refuses files whose columns are missing or
 * have the wrong type with an error naming the file and the column.
 *
 * @example
 * ```ts
 * const sql = await flightInputSql({ db, inputPath: 'flights-3m.parquet' });
 * await db.run(`CREATE TEMP VIEW flights AS ${sql}`);
 * ```
 */
import { existsSync } from 'node:fs';
import { extname } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { LakeloopError } from 'lakeloop';
import { DEPARTURE_TIME_TYPES, NUMERIC_TYPES } from './duckdb-types.js';
import { jsonText, sqlString } from './sql-text.js';

/** Options of {@link flightInputSql}. */
export interface FlightInputOptions {
  /** An open DuckDB connection (used to inspect the file's schema). */
  db: DuckDBConnection;
  /** A `.parquet`, `.json` (array of records or newline-delimited) or `.csv` file. */
  inputPath: string;
}

const TEXT_TYPES = new Set(['VARCHAR']);

/** The date formats accepted in text date columns (vega-datasets' JSON uses the first). */
const TEXT_DATE_FORMATS = ['%Y/%m/%d %H:%M', '%Y-%m-%d %H:%M:%S', '%Y-%m-%d %H:%M', '%Y-%m-%dT%H:%M:%S'];

/**
 * A `SELECT` over the file with the normalized columns `departure TIMESTAMP, delay INTEGER,
 * distance INTEGER, origin VARCHAR, destination VARCHAR`. Text dates are parsed (unparsable ones
 * become NULL, which the callers reject).
 *
 * @throws LakeloopError `NOT_FOUND` when the file does not exist, `INVALID_ARGUMENT` for an unknown
 *   extension, a missing column or a column of the wrong type.
 */
export async function flightInputSql(options: FlightInputOptions): Promise<string> {
  const { db, inputPath } = options;
  if (!existsSync(inputPath)) {
    throw new LakeloopError('NOT_FOUND', `Flight data file ${inputPath} does not exist.`, {
      details: { inputPath },
    });
  }
  const source = sourceSql(inputPath);
  let columns: Map<string, string>;
  try {
    const described = await db.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`);
    columns = new Map(
      described.getRowObjectsJson().map((row) => [jsonText(row.column_name), jsonText(row.column_type)]),
    );
  } catch (error) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `Cannot read flight data file ${inputPath}: it is not a readable ${extname(inputPath)} file.`,
      { cause: error, details: { inputPath } },
    );
  }
  const typeOf = (name: string, accepted: ReadonlySet<string>, expected: string): string => {
    const type = columns.get(name);
    if (type === undefined) {
      throw new LakeloopError(
        'INVALID_ARGUMENT',
        `Flight data file ${inputPath} has no column "${name}" (columns: ${[...columns.keys()].join(', ')}); ` +
          'expected date, delay, distance, origin, destination.',
        { details: { inputPath, column: name } },
      );
    }
    if (!accepted.has(type)) {
      throw new LakeloopError(
        'INVALID_ARGUMENT',
        `Column "${name}" of flight data file ${inputPath} has type ${type}; expected ${expected}.`,
        { details: { inputPath, column: name, type } },
      );
    }
    return type;
  };
  const dateType = typeOf(
    'date',
    new Set([...DEPARTURE_TIME_TYPES, ...TEXT_TYPES]),
    'a timestamp or date text',
  );
  typeOf('delay', NUMERIC_TYPES, 'a number of minutes');
  typeOf('distance', NUMERIC_TYPES, 'a number of miles');
  typeOf('origin', TEXT_TYPES, 'an airport code (text)');
  typeOf('destination', TEXT_TYPES, 'an airport code (text)');
  const departure = TEXT_TYPES.has(dateType)
    ? `coalesce(${TEXT_DATE_FORMATS.map((f) => `try_strptime("date", ${sqlString(f)})`).join(', ')})`
    : 'CAST("date" AS TIMESTAMP)';
  return (
    `SELECT ${departure} AS departure, CAST(delay AS INTEGER) AS delay, ` +
    `CAST(distance AS INTEGER) AS distance, origin, destination FROM ${source}`
  );
}

function sourceSql(inputPath: string): string {
  const extension = extname(inputPath).toLowerCase();
  switch (extension) {
    case '.parquet':
      return `read_parquet(${sqlString(inputPath)})`;
    case '.json':
    case '.ndjson':
    case '.jsonl':
      return `read_json(${sqlString(inputPath)})`;
    case '.csv':
      return `read_csv(${sqlString(inputPath)})`;
    default:
      throw new LakeloopError(
        'INVALID_ARGUMENT',
        `Flight data file ${inputPath} has an unsupported extension "${extension}"; use .parquet, .json or .csv.`,
        { details: { inputPath } },
      );
  }
}
