/** Small display helpers of the UI. */

/** "3 min ago", "2 h ago", or the date for older times. */
export function timeAgo(epochMs: number, now: number = Date.now()): string {
  const seconds = Math.round((now - epochMs) / 1000);
  if (seconds < 60) return `${Math.max(seconds, 0)} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.round(seconds / 3600)} h ago`;
  return new Date(epochMs).toLocaleString();
}

/** A run's duration ("12.3 s"), or '' when it has not ended. */
export function duration(startedAt: number | undefined, endedAt: number | undefined): string {
  if (startedAt === undefined || endedAt === undefined) return '';
  const seconds = (endedAt - startedAt) / 1000;
  return seconds < 60 ? `${seconds.toFixed(1)} s` : `${(seconds / 60).toFixed(1)} min`;
}

/** A metric value with at most 4 significant digits. */
export function metric(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toPrecision(4);
}
