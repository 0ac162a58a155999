/**
 * Splits a log batch into requests the MLflow server accepts: at most 1000 metrics, 100 params,
 * 100 tags and 1000 entities in total per `runs/log-batch` request. Params go first (so a
 * conflicting param fails before any metric of the batch is written), then tags, then metrics.
 *
 * @example
 * ```ts
 * splitBatch({ metrics: points, params: [], tags: [] }).length; // ceil(points.length / 1000)
 * ```
 */
import { TrackingLimits } from '../tracking-validation.js';
import type { NormalizedBatch } from '../tracking-validation.js';

/** Splits `batch` into chunks within MLflow's per-request limits (never an empty list for an empty batch). */
export function splitBatch(batch: NormalizedBatch): NormalizedBatch[] {
  const chunks: NormalizedBatch[] = [];
  let params = 0;
  let tags = 0;
  let metrics = 0;
  while (params < batch.params.length || tags < batch.tags.length || metrics < batch.metrics.length) {
    const chunkParams = batch.params.slice(params, params + TrackingLimits.MAX_PARAMS_PER_REQUEST);
    const chunkTags = batch.tags.slice(tags, tags + TrackingLimits.MAX_TAGS_PER_REQUEST);
    const room = Math.min(
      TrackingLimits.MAX_METRICS_PER_REQUEST,
      TrackingLimits.MAX_ENTITIES_PER_REQUEST - chunkParams.length - chunkTags.length,
    );
    const chunkMetrics = batch.metrics.slice(metrics, metrics + room);
    params += chunkParams.length;
    tags += chunkTags.length;
    metrics += chunkMetrics.length;
    chunks.push({ params: chunkParams, tags: chunkTags, metrics: chunkMetrics });
  }
  return chunks;
}
