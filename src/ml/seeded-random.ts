/**
 * A small deterministic random number generator (mulberry32) so that training is reproducible
 * for a given seed.
 *
 * @example
 * ```ts
 * const random = seededRandom(42);
 * const u = random(); // in [0, 1)
 * ```
 */

/** Returns a function yielding uniform numbers in [0, 1), the same sequence for the same seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` distinct row numbers out of `0..rows-1` (all rows, in order, when count >= rows). */
export function sampleRows(rows: number, count: number, random: () => number): Uint32Array {
  if (count >= rows) return Uint32Array.from({ length: rows }, (_, i) => i);
  const order = new Uint32Array(rows);
  for (let i = 0; i < rows; i++) order[i] = i;
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(random() * (rows - i));
    const tmp = order[i] ?? 0;
    order[i] = order[j] ?? 0;
    order[j] = tmp;
  }
  return order.slice(0, count).sort();
}
