/**
 * Validation of one monthly chunk (a Parquet file of flights), in one full read of its values: the
 * five columns with the right types (`date` a TIMESTAMP without time zone), every data page
 * readable, no missing values, departures inside the chunk's month, plausible delays and
 * distances, airport codes of three letters or digits, and both classes (delayed and on-time
 * flights). Problems are returned (not thrown), each naming the chunk as the caller names it (its
 * repository URI in `load_data`), so the blocking asset check can name every bad file, what is wrong
 * with it and what to do.
 *
 * @example
 * ```ts
 * const result = await validateChunk({ db, file: '/cache/2001-01.parquet', name: 'lakefs://flights/3f9a…/flights/2001-01.parquet', month: '2001-01' });
 * if (result.problems.length > 0) console.log(result.problems.join('; '));
 * ```
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { DEPARTURE_TIME_TYPES, INTEGER_TYPES } from './features/duckdb-types.js';
import { DELAY_THRESHOLD_MINUTES, monthRange } from './features/index.js';
import { jsonText } from './features/sql-text.js';

/** Options of {@link validateChunk}. */
export interface ValidateChunkOptions {
  /** An open DuckDB connection. */
  db: DuckDBConnection;
  /** The local Parquet file. */
  file: string;
  /** How messages name the chunk: its repository URI, e.g. `lakefs://flights/<commit>/flights/2001-03.parquet`. */
  name: string;
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
  {
    name: 'date',
    accepts: (t) => DEPARTURE_TIME_TYPES.has(t),
    expected:
      'TIMESTAMP (the local departure time, without time zone); write it as a TIMESTAMP without time zone and commit the chunk again',
  },
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

/** DuckDB errors that say nothing about the file: they are thrown, not reported as the chunk's problem. */
const NOT_ABOUT_THE_FILE = /^(?:INTERRUPT|Out of Memory|Connection|FATAL|INTERNAL) Error/i;

/** The first line of a DuckDB error, without the local path of the file (messages name the chunk). */
function readError(error: unknown, file: string): string {
  const line = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
  return line.replaceAll(`Failed to read file "${file}": `, '').replaceAll(file, 'the file');
}

/** Validates one chunk file; never throws for bad data (only for a broken connection). */
export async function validateChunk(options: ValidateChunkOptions): Promise<ChunkValidation> {
  const { db, file, name, month } = options;
  const source = `read_parquet(${quote(file)})`;
  let types: Map<string, string>;
  try {
    const described = await db.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`);
    types = new Map(
      described.getRowObjectsJson().map((row) => [jsonText(row.column_name), jsonText(row.column_type)]),
    );
  } catch (error) {
    if (NOT_ABOUT_THE_FILE.test(readError(error, file))) throw error;
    return {
      rows: 0,
      positives: 0,
      problems: [`${name} is not a readable Parquet file (${readError(error, file)})`],
    };
  }
  const problems: string[] = [];
  for (const column of EXPECTED) {
    const type = types.get(column.name);
    if (type === undefined) {
      problems.push(`${name} has no column "${column.name}" (columns: ${[...types.keys()].join(', ')})`);
    } else if (!column.accepts(type)) {
      problems.push(`${name}: column "${column.name}" has type ${type}, expected ${column.expected}`);
    }
  }
  if (problems.length > 0) return { rows: 0, positives: 0, problems };

  // The single full read of the chunk: every column is used by an aggregate, so every data page of
  // the five columns is decompressed and decoded here; a garbled page (under an intact footer)
  // fails this query.
  const { start, end } = monthRange(month);
  const { minDelay, maxDelay, maxDistance } = CHUNK_RANGES;
  let counts: Record<string, unknown>;
  try {
    const reader = await db.runAndReadAll(
      `SELECT count(*) AS rows,
              count(*) FILTER (WHERE delay > ${DELAY_THRESHOLD_MINUTES}) AS positives,
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
    counts = reader.getRowObjectsJson()[0] ?? {};
  } catch (error) {
    const reason = readError(error, file);
    if (NOT_ABOUT_THE_FILE.test(reason)) throw error;
    problems.push(
      `${name}: the data pages cannot be read (${reason}); the file is corrupt although its footer ` +
        'is readable: export the month again and commit the chunk again',
    );
    return { rows: 0, positives: 0, problems };
  }
  const count = (column: string): number => Number(counts[column] ?? 0);
  const rows = count('rows');
  const positives = count('positives');
  if (rows === 0) problems.push(`${name} has no rows`);
  const add = (column: string, what: string): void => {
    if (count(column) > 0) problems.push(`${name}: ${count(column)} rows ${what}`);
  };
  add('missing', 'with a missing value');
  add('outside_month', `with a date outside ${month}`);
  add('bad_delay', `with a delay outside ${minDelay}..${maxDelay} minutes`);
  add('bad_distance', `with a distance outside 1..${maxDistance} miles`);
  add('bad_airport', 'with an airport code that is not 3 letters/digits');
  if (rows > 0 && (positives === 0 || positives === rows)) {
    const which =
      positives === 0
        ? `delay <= ${DELAY_THRESHOLD_MINUTES} minutes (none delayed)`
        : `delay > ${DELAY_THRESHOLD_MINUTES} minutes (none on time)`;
    problems.push(
      `${name}: all ${rows} flights have ${which}, so a model can neither be trained nor evaluated on ` +
        'this month; check the export (a filter on delay?) and commit the complete month',
    );
  }
  return { rows, positives, problems };
}
