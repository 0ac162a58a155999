/** Display helpers of the Data page. */

/** A commit id as its first 10 characters (the full id goes in a title). */
export function shortId(id: string): string {
  return id.length > 12 ? id.slice(0, 10) : id;
}

/** Bytes as "8.3 KB", "1.2 MB"; '—' when unknown. */
export function bytes(size: number | undefined): string {
  if (size === undefined) return '—';
  if (size < 1024) return `${size} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = size / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit] ?? 'TB'}`;
}

/** An ISO date as local date and time. */
export function dateTime(iso: string): string {
  const time = Date.parse(iso);
  return Number.isNaN(time) ? iso : new Date(time).toLocaleString();
}

/** The last segment of a path (`flights/2001-01.parquet` → `2001-01.parquet`, `a/b/` → `b/`). */
export function baseName(path: string, prefix: string): string {
  return path.startsWith(prefix) ? path.slice(prefix.length) : path;
}

/** A cell of a table preview as text (null shown as "null", objects as JSON). */
export function cellText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return value === null || value === undefined ? 'null' : JSON.stringify(value);
}

/** An ISO date as a short local date and time ("Dec 2, 21:01"), for narrow columns. */
export function shortDateTime(iso: string): string {
  const time = Date.parse(iso);
  if (Number.isNaN(time)) return iso;
  return new Date(time).toLocaleString(undefined, {
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
}
