/**
 * The check a version passes before it takes traffic: it is warmed (the first run of a session
 * allocates its buffers) and scored twice on one known input — the model's own input example, else
 * a row of zeros — and each prediction must be a finite probability in [0, 1], equal in both runs.
 * The batch-sized run warms the multi-threaded session too.
 *
 * @example
 * ```ts
 * await checkServedModel(model); // throws CHECK_FAILED saying what was wrong
 * ```
 */
import { LakeloopError } from '../errors.js';
import { BATCH_SESSION_MIN_ROWS } from './served-model.js';
import type { ServedModel } from './served-model.js';

/** Warms `model` and checks its known row (see the module comment); CHECK_FAILED when it fails. */
export async function checkServedModel(model: ServedModel): Promise<void> {
  const label = `${model.info.name} v${model.info.version}`;
  const known = model.example ?? new Float32Array(model.columns);
  const rows = known.length / model.columns;
  const first = await model.predict(known, rows);
  const second = await model.predict(known, rows);
  for (let i = 0; i < rows; i++) {
    const p = first[i] ?? Number.NaN;
    if (!Number.isFinite(p) || p < 0 || p > 1) {
      throw new LakeloopError(
        'CHECK_FAILED',
        `${label} predicts ${p} for row ${i} of its ${model.example === undefined ? 'zero row' : 'input example'}; a probability in [0, 1] was expected.`,
      );
    }
    if (second[i] !== p) {
      throw new LakeloopError(
        'CHECK_FAILED',
        `${label} predicts ${p} then ${second[i]} for the same row ${i}; the model is not deterministic.`,
      );
    }
  }
  // One batch-sized run, so the first large request does not pay the batch session's warm-up.
  const batch = new Float32Array(BATCH_SESSION_MIN_ROWS * model.columns);
  for (let r = 0; r < BATCH_SESSION_MIN_ROWS; r++)
    batch.set(
      known.subarray((r % rows) * model.columns, ((r % rows) + 1) * model.columns),
      r * model.columns,
    );
  const batched = await model.predict(batch, BATCH_SESSION_MIN_ROWS);
  if (Math.abs((batched[0] ?? Number.NaN) - (first[0] ?? 0)) > 1e-6) {
    throw new LakeloopError(
      'CHECK_FAILED',
      `${label} predicts ${batched[0]} in a batch but ${first[0]} alone for the same row; its sessions disagree.`,
    );
  }
}
