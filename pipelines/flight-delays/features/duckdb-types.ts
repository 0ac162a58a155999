/**
 * DuckDB column type names the pipeline accepts, shared by the chunk checks of `load_data` and the
 * input checks of the feature build.
 *
 * @example
 * ```ts
 * if (!INTEGER_TYPES.has(column.type)) throw new Error('delay must be an integer');
 * ```
 */

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
