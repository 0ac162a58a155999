/**
 * The embedded store's metric downsampling, inside SQLite: exactly the points `downsampleMetric`
 * keeps from `getMetricHistory`, without carrying a 100k-point history into JavaScript (that
 * alone costs ~90 ms). The range is counted on the index; then a walk along the index
 * (`OFFSET` = the bucket's size from the previous bucket's start) finds where each bucket starts,
 * and one `MIN()` and one `MAX()` query per bucket pick its extremes. A single `MIN()`/`MAX()`
 * returns the winning row's other columns (SQLite's bare-column rule), and on ties the first row
 * of the index scan, which is the first in history order (step, timestamp, rowid), as in
 * `downsampleMetric`. NaN is stored as NULL (or `is_nan`), which `MIN()`/`MAX()` skip.
 *
 * @example
 * ```ts
 * const sampled = sampleMetricInSqlite(db, (sql) => statements.get(sql), runId, 'loss', { maxPoints: 1500 });
 * ```
 */
import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from '../../util/sqlite-database.js';
import { bucketCount, bucketStart, validMaxPoints } from '../metric-downsampling.js';
import type { DownsampledMetric, DownsampleOptions } from '../metric-downsampling.js';
import type { Metric } from '../tracking-types.js';

interface PointRow {
  id: number;
  value: number | null;
  is_nan: number;
  step: number;
  timestamp: number;
}

/** A bucket's extreme: the row plus the aggregate (NULL when the bucket is all NaN). */
interface ExtremeRow extends PointRow {
  extreme: number | null;
}

const COLUMNS = 'rowid AS id, value, is_nan, step, timestamp';
const IN_RANGE = 'run_id = @runId AND key = @key AND step >= @minStep AND step <= @maxStep';
const HISTORY_ORDER = 'ORDER BY step, timestamp, rowid';
const COUNT_SQL = `SELECT count(*) FROM metrics WHERE ${IN_RANGE}`;
const ALL_SQL = `SELECT ${COLUMNS} FROM metrics WHERE ${IN_RANGE} ${HISTORY_ORDER}`;
const HEAD_SQL = `SELECT ${COLUMNS} FROM metrics WHERE ${IN_RANGE} ${HISTORY_ORDER} LIMIT 2`;
/**
 * The row `?` rows after the given one (its key: step, timestamp, rowid): the next bucket's start.
 * No step range: the rows between are all in it, and with one SQLite seeks to `minStep` and
 * filters every row from there (seconds on 100k points).
 */
const AFTER_SQL = `SELECT ${COLUMNS} FROM metrics
  WHERE run_id = ? AND key = ? AND (step, timestamp, rowid) >= (?, ?, ?)
  ${HISTORY_ORDER} LIMIT 1 OFFSET ?`;
/**
 * The rows from one bucket start (inclusive) to the next (exclusive). Positional parameters:
 * these run ~1500 times a request, and binding by name costs more.
 */
const BUCKET = `run_id = ? AND key = ? AND (step, timestamp, rowid) >= (?, ?, ?) AND (step, timestamp, rowid) < (?, ?, ?)`;
const NOT_NAN = 'IIF(is_nan = 1, NULL, value)';
const LOW_SQL = `SELECT ${COLUMNS}, MIN(${NOT_NAN}) AS extreme FROM metrics WHERE ${BUCKET}`;
const HIGH_SQL = `SELECT ${COLUMNS}, MAX(${NOT_NAN}) AS extreme FROM metrics WHERE ${BUCKET}`;

/** Downsamples one metric of one run (the run is known to exist) in SQLite; see the module doc. */
export function sampleMetricInSqlite(
  db: SqliteDatabase,
  sql: (text: string) => Statement,
  runId: string,
  key: string,
  options: DownsampleOptions = {},
): DownsampledMetric {
  const maxPoints = validMaxPoints(options.maxPoints);
  const range = {
    runId,
    key,
    minStep: options.minStep ?? Number.NEGATIVE_INFINITY,
    maxStep: options.maxStep ?? Number.POSITIVE_INFINITY,
  };
  const toMetric = (row: PointRow): Metric => ({
    key,
    value: row.is_nan === 1 || row.value === null ? Number.NaN : row.value,
    step: row.step,
    timestamp: row.timestamp,
  });
  // One read transaction: every query sees the same snapshot while other processes log.
  return db.transaction((): DownsampledMetric => {
    const total = sql(COUNT_SQL).pluck().get(range) as number;
    if (total <= maxPoints) {
      const rows = sql(ALL_SQL).all(range) as PointRow[];
      return { points: rows.map(toMetric), totalPoints: total, downsampled: false };
    }
    const after = sql(AFTER_SQL);
    const [lowest, highest] = [sql(LOW_SQL), sql(HIGH_SQL)];
    const interior = total - 2;
    const buckets = bucketCount(maxPoints);
    const [head, second] = sql(HEAD_SQL).all(range) as [PointRow, PointRow];
    const kept: PointRow[] = [head];
    let from = second;
    for (let bucket = 0; bucket < buckets; bucket++) {
      const size = bucketStart(bucket + 1, interior, buckets) - bucketStart(bucket, interior, buckets);
      // The last bucket ends at the last point, which the walk reaches too.
      const to = after.get(runId, key, from.step, from.timestamp, from.id, size) as PointRow;
      const bounds = [runId, key, from.step, from.timestamp, from.id, to.step, to.timestamp, to.id];
      const low = lowest.get(bounds) as ExtremeRow;
      if (low.extreme === null) {
        kept.push(from); // only NaN here: keep the gap
      } else {
        const high = highest.get(bounds) as ExtremeRow;
        const [first, second] = comesBefore(high, low) ? [high, low] : [low, high];
        kept.push(first);
        if (second.id !== first.id) kept.push(second);
      }
      from = to;
    }
    kept.push(from);
    return { points: kept.map(toMetric), totalPoints: total, downsampled: true };
  })();
}

/** Whether `a` comes before `b` in history order (step, timestamp, rowid). */
function comesBefore(a: PointRow, b: PointRow): boolean {
  if (a.step !== b.step) return a.step < b.step;
  if (a.timestamp !== b.timestamp) return a.timestamp < b.timestamp;
  return a.id < b.id;
}
