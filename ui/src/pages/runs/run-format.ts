/** Display helpers of the Runs pages. */

/** The first 8 characters of an id (runs and commits are UUIDs or hashes). */
export function shortId(id: string): string {
  return id.length > 10 ? id.slice(0, 8) : id;
}

/** The tags a user gave (not lakeloop's own `lakeloop/…` ones), sorted by key. */
export function userTags(tags: Record<string, string>): [string, string][] {
  return Object.entries(tags)
    .filter(([key]) => !key.startsWith('lakeloop/'))
    .sort(([a], [b]) => a.localeCompare(b));
}

/** A time of day with milliseconds ("14:03:07.125"), for event logs. */
export function clockTime(epochMs: number): string {
  const d = new Date(epochMs);
  const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** A span in ms as "850 ms", "12.3 s" or "4.1 min". */
export function span(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}
