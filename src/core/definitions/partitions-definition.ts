/**
 * Partitions: an asset that is partitioned materializes once per partition key. Three kinds:
 * a static list of keys, daily windows (`YYYY-MM-DD`) and monthly windows (`YYYY-MM`). Time
 * windows are in UTC and end at `end` (exclusive) or, when open-ended, at the last complete
 * window before `now`.
 *
 * @example
 * ```ts
 * const months = monthlyPartitions({ start: '2001-01', end: '2001-07' });
 * months.keys(); // ['2001-01', ..., '2001-06']
 * months.timeWindow('2001-02'); // { start: 980985600000, end: 983404800000 }
 * ```
 */
import { LakeloopError } from '../../errors.js';
import { checkPartitionKey } from './asset-key.js';

/** What kind of partitioning a definition is. */
export type PartitionsKind = 'static' | 'daily' | 'monthly';

/** A half-open time window `[start, end)` in epoch milliseconds (UTC). */
export interface TimeWindow {
  start: number;
  end: number;
}

/** The partition keys of an asset. */
export interface PartitionsDefinition {
  readonly kind: PartitionsKind;
  /** A stable description, e.g. `monthly(2001-01..)`; two assets with the same one share keys. */
  readonly id: string;
  /** All keys, in order, as of `now` (epoch ms; default: the wall clock). */
  keys(now?: number): string[];
  /** Whether `key` is one of the keys as of `now`. */
  has(key: string, now?: number): boolean;
  /** The time window of a key (time-window partitions only). */
  timeWindow(key: string): TimeWindow | undefined;
}

/** A fixed list of partition keys (e.g. regions). Keys must be unique. */
export function staticPartitions(keys: readonly string[]): PartitionsDefinition {
  const list = [...keys];
  const set = new Set(list);
  if (list.length === 0)
    throw new LakeloopError('DEFINITION_ERROR', 'staticPartitions needs at least one key.');
  if (set.size !== list.length) {
    const dup = list.filter((k, i) => list.indexOf(k) !== i);
    throw new LakeloopError(
      'DEFINITION_ERROR',
      `Duplicate static partition keys: ${[...new Set(dup)].join(', ')}.`,
    );
  }
  list.forEach(checkPartitionKey);
  return {
    kind: 'static',
    id: `static(${list.join(',')})`,
    keys: () => [...list],
    has: (key) => set.has(key),
    timeWindow: () => undefined,
  };
}

/** Options of {@link dailyPartitions} and {@link monthlyPartitions}. */
export interface TimeWindowPartitionsOptions {
  /** First window: `YYYY-MM-DD` (daily) or `YYYY-MM` (monthly), UTC. */
  start: string;
  /** End of the last window, exclusive, same format. Default: open-ended (up to `now`). */
  end?: string;
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const MONTH = /^(\d{4})-(\d{2})$/;

function parseDay(text: string, what: string): number {
  const m = DAY.exec(text);
  const t = m === null ? Number.NaN : Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (m === null || Number.isNaN(t) || formatDay(t) !== text) {
    throw new LakeloopError(
      'DEFINITION_ERROR',
      `Invalid ${what} ${JSON.stringify(text)}: expected a date YYYY-MM-DD.`,
    );
  }
  return t;
}

function parseMonth(text: string, what: string): number {
  const m = MONTH.exec(text);
  const month = m === null ? 0 : Number(m[2]);
  if (m === null || month < 1 || month > 12) {
    throw new LakeloopError(
      'DEFINITION_ERROR',
      `Invalid ${what} ${JSON.stringify(text)}: expected a month YYYY-MM.`,
    );
  }
  return Date.UTC(Number(m[1]), month - 1, 1);
}

function formatDay(t: number): string {
  return new Date(t).toISOString().slice(0, 10);
}

function formatMonth(t: number): string {
  return new Date(t).toISOString().slice(0, 7);
}

function addMonths(t: number, n: number): number {
  const d = new Date(t);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, 1);
}

const DAY_MS = 86_400_000;

interface WindowSpec {
  kind: 'daily' | 'monthly';
  parse: (text: string, what: string) => number;
  format: (t: number) => string;
  next: (t: number) => number;
}

function timeWindowPartitions(spec: WindowSpec, options: TimeWindowPartitionsOptions): PartitionsDefinition {
  const start = spec.parse(options.start, 'partition start');
  const end = options.end === undefined ? undefined : spec.parse(options.end, 'partition end');
  if (end !== undefined && end <= start) {
    throw new LakeloopError(
      'DEFINITION_ERROR',
      `Partition end ${options.end ?? ''} must be after start ${options.start}.`,
    );
  }
  const parseKey = (key: string): number | undefined => {
    try {
      return spec.parse(key, 'partition key');
    } catch {
      return undefined;
    }
  };
  const keys = (now: number = Date.now()): string[] => {
    const out: string[] = [];
    for (let t = start; spec.next(t) <= (end ?? now) && (end === undefined || t < end); t = spec.next(t)) {
      out.push(spec.format(t));
    }
    return out;
  };
  return {
    kind: spec.kind,
    id: `${spec.kind}(${options.start}..${options.end ?? ''})`,
    keys,
    has: (key, now = Date.now()) => {
      const t = parseKey(key);
      return t !== undefined && t >= start && spec.next(t) <= (end ?? now) && (end === undefined || t < end);
    },
    timeWindow: (key) => {
      const t = parseKey(key);
      return t === undefined ? undefined : { start: t, end: spec.next(t) };
    },
  };
}

/** One partition per UTC day, keys `YYYY-MM-DD`. */
export function dailyPartitions(options: TimeWindowPartitionsOptions): PartitionsDefinition {
  return timeWindowPartitions(
    { kind: 'daily', parse: parseDay, format: formatDay, next: (t) => t + DAY_MS },
    options,
  );
}

/** One partition per UTC month, keys `YYYY-MM`. */
export function monthlyPartitions(options: TimeWindowPartitionsOptions): PartitionsDefinition {
  return timeWindowPartitions(
    { kind: 'monthly', parse: parseMonth, format: formatMonth, next: (t) => addMonths(t, 1) },
    options,
  );
}

/**
 * Throws INVALID_ARGUMENT unless `key` is a partition of `partitions` (as of `now`), listing
 * what exists (the first and last keys when there are many).
 */
export function assertPartitionKey(
  partitions: PartitionsDefinition,
  key: string,
  options: { assetKey: string; now?: number },
): void {
  if (partitions.has(key, options.now)) return;
  const keys = partitions.keys(options.now);
  const shown =
    keys.length <= 12 ? keys.join(', ') : `${keys.slice(0, 5).join(', ')}, ..., ${keys.slice(-5).join(', ')}`;
  throw new LakeloopError(
    'INVALID_ARGUMENT',
    `Unknown partition ${JSON.stringify(key)} of asset "${options.assetKey}" (${partitions.id}); ` +
      (keys.length === 0 ? 'no partition exists yet.' : `pass one of: ${shown}.`),
    { details: { partition: key, assetKey: options.assetKey } },
  );
}
