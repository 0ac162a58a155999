/**
 * DuckDB column type names the pipeline accepts, shared by the chunk checks of `load_data` and the
 * input checks of the feature build.
 *
 * @example
 * ```ts
 * if (!INTEGER_TYPES.has(column.type)) throw new Error('delay must be an integer');
 * ```
 */

/**
 * Departure times: timestamps without time zone (the local time of the flight) and dates.
 * `TIMESTAMP WITH TIME ZONE` is not one: its hour of day depends on the reader's time zone.
 */
export const DEPARTURE_TIME_TYPES: ReadonlySet<string> = new Set([
  'TIMESTAMP',
  'TIMESTAMP_S',
  'TIMESTAMP_MS',
  'TIMESTAMP_NS',
  'DATE',
]);

/** Integer types (minutes of delay, counts). */
export const INTEGER_TYPES: ReadonlySet<string> = new Set([
  'TINYINT',
  'SMALLINT',
  'INTEGER',
  'BIGINT',
  'HUGEINT',
  'UTINYINT',
  'USMALLINT',
  'UINTEGER',
  'UBIGINT',
]);

/** Any number: the integer types, UHUGEINT and floating point. */
export const NUMERIC_TYPES: ReadonlySet<string> = new Set([...INTEGER_TYPES, 'UHUGEINT', 'FLOAT', 'DOUBLE']);
