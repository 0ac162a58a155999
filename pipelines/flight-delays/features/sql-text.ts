/**
 * Small helpers to put values into DuckDB SQL text where parameters cannot go (file paths in
 * `COPY ... TO`, table function arguments).
 *
 * @example
 * ```ts
 * sqlString("it's.parquet"); // "'it''s.parquet'"
 * ```
 */

/** A SQL string literal for `value`, with single quotes doubled. */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** A SQL list literal of string literals, e.g. `['a.parquet', 'b.parquet']`. */
export function sqlStringList(values: readonly string[]): string {
  return `[${values.map(sqlString).join(', ')}]`;
}

/** A JSON value read from a DuckDB result as text (strings as they are, anything else as JSON). */
export function jsonText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
