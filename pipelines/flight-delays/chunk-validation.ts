/**
 * Schema and range validation of one monthly chunk (a Parquet file of flights): the five columns
 * with the right types, no missing values, departures inside the chunk's month, plausible delays
 * and distances, and airport codes of three letters or digits. Problems are returned (not thrown)
 * so the blocking asset check can name every bad file and what is wrong with it.
 *
 * @example
 * ```ts
 * const result = await validateChunk({ db, file: '/cache/2001-01.parquet', objectPath: 'flights/2001-01.parquet', month: '2001-01' });
 * if (result.problems.length > 0) console.log(result.problems.join('; '));
 * ```
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { INTEGER_TYPES } from './features/duckdb-types.js';
import { monthRange } from './features/index.js';
import { jsonText } from './features/sql-text.js';

/** Options of {@link validateChunk}. */
export interface ValidateChunkOptions {
  /** An open DuckDB connection. */
  db: DuckDBConnection;
  /** The local Parquet file. */
  file: string;
  /** The chunk's path in the data repository (used in messages). */
  objectPath: string;
  /** The month the chunk must hold, `YYYY-MM`. */
  month: string;
}

/** What {@link validateChunk} found. */
export interface ChunkValidation {
  /** Rows of the file (0 when unreadable). */
  rows: number;
  /** Positives (`delay > 15`) among them. */
  positives: number;
  /** Human-readable problems; empty when the chunk is valid. */
  problems: string[];
}

/** Valid ranges: delays in minutes and distances in miles. */
export const CHUNK_RANGES = {
  minDelay: -1440,
  maxDelay: 2880,
  maxDistance: 6000,
} as const;

const EXPECTED: readonly { name: string; accepts: (type: string) => boolean; expected: string }[] = [
  { name: 'date', accepts: (t) => t.startsWith('TIMESTAMP') || t === 'DATE', expected: 'TIMESTAMP' },
  { name: 'delay', accepts: (t) => INTEGER_TYPES.has(t), expected: 'an integer (minutes)' },
  {
    name: 'distance',
    accepts: (t) => INTEGER_TYPES.has(t) || t === 'DOUBLE' || t === 'FLOAT',
    expected: 'a number (miles)',
  },
  { name: 'origin', accepts: (t) => t === 'VARCHAR', expected: 'VARCHAR (airport code)' },
  { name: 'destination', accepts: (t) => t === 'VARCHAR', expected: 'VARCHAR (airport code)' },
];

const quote = (text: string): string => `'${text.replace(/'/g, "''")}'`;

/** Validates one chunk file; never throws for bad data (only for a broken connection). */
export async function validateChunk(options: ValidateChunkOptions): Promise<ChunkValidation> {
  const { db, file, objectPath, month } = options;
  const source = `read_parquet(${quote(file)})`;
  let types: Map<string, string>;
  try {
    const described = await db.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`);
    types = new Map(
      described.getRowObjectsJson().map((row) => [jsonText(row.column_name), jsonText(row.column_type)]),
    );
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return { rows: 0, positives: 0, problems: [`${objectPath} is not a readable Parquet file (${reason})`] };
  }
  const problems: string[] = [];
  for (const column of EXPECTED) {
    const type = types.get(column.name);
    if (type === undefined) {
      problems.push(
        `${objectPath} has no column "${column.name}" (columns: ${[...types.keys()].join(', ')})`,
      );
    } else if (!column.accepts(type)) {
      problems.push(`${objectPath}: column "${column.name}" has type ${type}, expected ${column.expected}`);
    }
  }
  if (problems.length > 0) return { rows: 0, positives: 0, problems };

  const { start, end } = monthRange(month);
  const { minDelay, maxDelay, maxDistance } = CHUNK_RANGES;
  const reader = await db.runAndReadAll(
    `SELECT count(*) AS rows,
            count(*) FILTER (WHERE delay > 15) AS positives,
            count(*) FILTER (WHERE date IS NULL OR delay IS NULL OR distance IS NULL
                             OR origin IS NULL OR destination IS NULL) AS missing,
            count(*) FILTER (WHERE CAST(date AS TIMESTAMP) < TIMESTAMP ${quote(start)}
                             OR CAST(date AS TIMESTAMP) >= TIMESTAMP ${quote(end)}) AS outside_month,
            count(*) FILTER (WHERE delay < ${minDelay} OR delay > ${maxDelay}) AS bad_delay,
            count(*) FILTER (WHERE distance <= 0 OR distance > ${maxDistance}) AS bad_distance,
            count(*) FILTER (WHERE NOT regexp_full_match(origin, '[A-Z0-9]{3}')
                             OR NOT regexp_full_match(destination, '[A-Z0-9]{3}')) AS bad_airport
     FROM ${source}`,
  );
  const counts = reader.getRowObjectsJson()[0] ?? {};
  const count = (name: string): number => Number(counts[name] ?? 0);
  const rows = count('rows');
  if (rows === 0) problems.push(`${objectPath} has no rows`);
  const add = (name: string, what: string): void => {
    if (count(name) > 0) problems.push(`${objectPath}: ${count(name)} rows ${what}`);
  };
  add('missing', 'with a missing value');
  add('outside_month', `with a date outside ${month}`);
  add('bad_delay', `with a delay outside ${minDelay}..${maxDelay} minutes`);
  add('bad_distance', `with a distance outside 1..${maxDistance} miles`);
  add('bad_airport', 'with an airport code that is not 3 letters/digits');
  return { rows, positives: count('positives'), problems };
}
