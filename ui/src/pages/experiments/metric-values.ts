/** Metric values as the tracking API sends them (numbers, or "NaN" / "Infinity" strings) and step ranges in the URL. */
import { metric } from '../../format.js';

/** A metric value for display ("NaN" stays "NaN"). */
export function metricText(value: number | string | undefined): string {
  if (value === undefined) return '—';
  return typeof value === 'number' ? metric(value) : value;
}

/** A value a chart can draw, or undefined (NaN and infinities leave a gap). */
export function plottable(value: number | string): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** An inclusive step range, kept in the URL as `min-max` (`?steps=10-30`). */
export interface StepRange {
  min: number;
  max: number;
}

/** Parses `?steps=`; anything else is no range (the whole history). */
export function parseSteps(text: string): StepRange | undefined {
  const match = /^(-?\d+)-(-?\d+)$/.exec(text);
  if (match === null) return undefined;
  const min = Number(match[1]);
  const max = Number(match[2]);
  return min <= max ? { min, max } : undefined;
}

/** A zoomed x range as whole steps for `?steps=`, widened outward so the edge points stay in. */
export function stepsText(range: { min: number; max: number }): string {
  return `${Math.floor(range.min)}-${Math.ceil(range.max)}`;
}
